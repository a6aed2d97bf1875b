"""One run's figure per endpoint and metric, with its standard error: what a comparison is made of.

Pure numpy. Each figure is a point on an analysis scale (the log of a latency or a rate, so that changes are
relative; a failure rate in points) with a standard error that accounts for the correlation between
neighbouring samples::

    from reports.estimates import mean_latency, throughput, failure_rate, windowed

    blocks = merge_blocks(spans)                 # reports.intervals: exact per-interval totals
    mean_latency(blocks)    # Estimate(value=43.3 (ms), center=log(43.3), se=0.004, df=41.2, samples=55, ...)
    throughput(blocks)      # requests per second over the steady state
    failure_rate(blocks)    # percent of requests, in points
    windowed(times, p95)    # Locust's windowed percentile column (--csv-full-history only)

Method (assumptions in brackets).
* mean latency: the steady state's total response time over its requests (exact, from the totals); samples
  are the log mean of each block (one second on a local runner).
* throughput: requests over seconds; samples are the log rate of each block (a block with no request counts
  as a millionth of the smallest rate: an endpoint that stopped reads as -100%, not as an undefined ratio).
* failure rate: failures over requests, in percent; samples are each block's percentage (absolute, in points:
  failures often are all zero, where a ratio means nothing).
* p50/p95/p99: Locust writes only a sliding ~10-s window of them (with --csv-full-history), so neighbouring
  rows share most of their requests; samples are the log means of non-overlapping 10-row blocks, and the
  variance is widened by at least what that overlap alone implies.
* The standard error is sd / sqrt(n) times sqrt((1+r)/(1-r)), r the lag-1 autocorrelation of the samples
  (bias-corrected by (1+4r)/n, clipped to [0, 0.9]): the AR(1) variance of a mean [the samples' correlation
  decays roughly geometrically]; its degrees of freedom are the effective sample size less one.
"""

import math
from dataclasses import dataclass

import numpy as np

from reports import stat_tests
from reports.intervals import Spans
from reports.statistics import LOCUST_WINDOW_SECONDS, row_blocks

MIN_SAMPLES = 10  # blocks per run: below this, no standard error worth the name
LOG, POINTS = "log", "points"


@dataclass(frozen=True)
class Estimate:
    value: float  # as a reader sees it: ms, requests/s, percent
    center: float  # on the analysis scale: log(value), or the value in points
    se: float  # standard error of center (NaN: too few samples)
    df: float  # its degrees of freedom
    samples: int  # blocks it was computed from
    seconds: float  # steady-state seconds those blocks cover
    scale: str  # LOG or POINTS

    @property
    def usable(self) -> bool:
        return self.samples >= MIN_SAMPLES and math.isfinite(self.se) and math.isfinite(self.center)

    def as_dict(self) -> dict:
        return {name: getattr(self, name) for name in self.__dataclass_fields__}

    @classmethod
    def from_dict(cls, data: dict) -> "Estimate":
        return cls(**{name: data[name] for name in cls.__dataclass_fields__})


def _spread(samples: np.ndarray, floor_inflation: float = 1.0) -> tuple[float, float]:
    """Standard error of the samples' mean and its degrees of freedom, widened for autocorrelation."""
    n = samples.size
    if n < MIN_SAMPLES:
        return math.nan, math.nan
    r = stat_tests.lag1_autocorrelation(samples)
    inflation = max(floor_inflation, stat_tests.ar1_variance_factor(r + (1 + 4 * r) / n))
    se = float(np.std(samples, ddof=1)) * math.sqrt(inflation / n)
    return se, max(1.0, n / inflation - 1)


def _estimate(value: float, center: float, samples: np.ndarray, seconds: float, scale: str, floor=1.0) -> Estimate:
    se, df = _spread(samples, floor)
    return Estimate(float(value), float(center), se, df, int(samples.size), float(seconds), scale)


def mean_latency(blocks: Spans) -> Estimate:
    served = blocks.requests > 0
    total = float(blocks.requests.sum())
    value = float(blocks.time_ms.sum()) / total if total else math.nan
    if not total or value <= 0:
        return Estimate(value, math.nan, math.nan, math.nan, 0, float(blocks.seconds.sum()), LOG)
    samples = np.log(np.maximum(blocks.mean_ms[served], value * 1e-6))
    return _estimate(value, math.log(value), samples, blocks.seconds.sum(), LOG)


def throughput(blocks: Spans) -> Estimate:
    seconds = float(blocks.seconds.sum())
    value = float(blocks.requests.sum()) / seconds if seconds else math.nan
    rates = blocks.rate
    positive = rates[rates > 0]
    if not positive.size:
        return Estimate(value, math.nan, math.nan, math.nan, int(rates.size), seconds, LOG)
    floor = positive.min() * 1e-6
    return _estimate(value, math.log(max(value, floor)), np.log(np.maximum(rates, floor)), seconds, LOG)


def failure_rate(blocks: Spans) -> Estimate:
    total = float(blocks.requests.sum())
    value = 100.0 * float(blocks.failures.sum()) / total if total else math.nan
    samples = blocks.failure_percent[blocks.requests > 0]
    return _estimate(value, value, samples, blocks.seconds.sum(), POINTS)


def windowed(times: np.ndarray, values: np.ndarray) -> Estimate:
    """A windowed percentile column (rows one second apart; 0 or NaN where the window held no request)."""
    values = np.asarray(values, dtype=float)
    positive = np.where(values > 0, values, np.nan)
    means = row_blocks(positive, LOCUST_WINDOW_SECONDS)
    seconds = float(np.ptp(times)) if np.size(times) else 0.0
    if not means.size:
        return Estimate(math.nan, math.nan, math.nan, math.nan, 0, seconds, LOG)
    samples = np.log(means)
    overlap = stat_tests.moving_average_block_correlation(LOCUST_WINDOW_SECONDS, LOCUST_WINDOW_SECONDS)
    center = float(samples.mean())
    return _estimate(math.exp(center), center, samples, seconds, LOG, floor=1 + 2 * overlap)

"""Is a run drifting? Mann-Kendall on block means, corrected for autocorrelation, with the Theil-Sen slope.

Pure numpy on one series of a history (steady state: cut the warm-up first, ``reports.warmup``); the samples and
why they are blocked: ``reports.statistics``.

Usage::

    from reports.trend_detection import classify_trend

    trend = classify_trend(times[warm.cut_rows :], p95[warm.cut_rows :])
    print(trend.direction, f"{trend.slope_per_hour:+.1f} ms/h, p={trend.p_value:.2g}", trend.test)
"""

import math
from dataclasses import dataclass

import numpy as np

from reports import stat_tests
from reports.statistics import LOCUST_WINDOW_SECONDS, time_blocks

MIN_TREND_BLOCKS = 8


@dataclass(frozen=True)
class Trend:
    direction: str  # "increasing" | "decreasing" | "stable"
    slope_per_hour: float  # Theil-Sen slope in the series' units per hour (NaN if too few points)
    p_value: float
    confidence: float  # the level asked for, e.g. 0.95
    points: int  # points actually tested (after blocking)
    test: str  # e.g. "Mann-Kendall on 120 block means of 60 s, ..."
    relative_change: float = math.nan  # Theil-Sen change over the tested span / median block mean (0.2 = +20%)


def _trend_variance_factor(times: np.ndarray, means: np.ndarray, slope: float, overlap: float, confidence) -> float:
    """Inflation of var(S) for serial correlation: Hamed & Rao (1998), with two floors for lag 1.

    Hamed-Rao sums only the autocorrelations that pass a significance screen, and lag 1 of block means (0.25 from
    the overlap of Locust's windows alone with 10-s blocks) often fails it in a 15-minute run: flat series were
    called trends 8% of the time instead of 5%. So the factor is never below 1 + 2 x the overlap's correlation, nor
    below the AR(1) factor of the measured lag 1 (bias-corrected by (1 + 4r)/n), nor below 1: negative correlation
    would make the test more liberal, and a false "increasing" on a soak is the costlier mistake.
    """
    autocorrelations = stat_tests.hamed_rao_autocorrelations(times, means, slope)
    lag1 = autocorrelations[0] + (1 + 4 * autocorrelations[0]) / means.size
    hamed_rao = stat_tests.hamed_rao_factor(autocorrelations, confidence)
    return max(1.0, hamed_rao, 1 + 2 * overlap, stat_tests.ar1_variance_factor(lag1))


def classify_trend(
    times: np.ndarray,
    values: np.ndarray,
    confidence: float = 0.95,
    min_block_seconds: float = 10.0,
    max_blocks: int = 500,
) -> Trend:
    """Is the series drifting? Mann-Kendall on block means, corrected for autocorrelation, with the Theil-Sen slope.

    Blocks (>= min_block_seconds, <= max_blocks of them) remove the overlap of Locust's 10-s windows and keep the
    O(n^2) pair statistics small on a 24-hour soak. The test uses the normal approximation with the tie and
    continuity corrections (fine from about 10 blocks; below 8 the answer is "stable", untested, p NaN).
    """
    block_times, means, length, row_seconds = time_blocks(times, values, min_block_seconds, max_blocks)
    n = means.size
    blocks = f"{n} block means of {length:g} s"
    if n < MIN_TREND_BLOCKS:
        return Trend("stable", math.nan, math.nan, confidence, n, f"not tested: {blocks} (need {MIN_TREND_BLOCKS})")
    slope = stat_tests.theil_sen_slope(block_times, means)
    s, variance = stat_tests.mann_kendall(means)
    overlap = stat_tests.moving_average_block_correlation(length / row_seconds, LOCUST_WINDOW_SECONDS / row_seconds)
    factor = _trend_variance_factor(block_times, means, slope, overlap, confidence)
    z = (s - np.sign(s)) / math.sqrt(variance * factor) if variance > 0 else 0.0
    p_value = stat_tests.two_sided_p(z)
    direction = "stable" if p_value >= 1 - confidence else ("increasing" if s > 0 else "decreasing")
    median = float(np.median(means))
    change = float(slope * (block_times[-1] - block_times[0]) / median) if median else math.nan
    test = f"Mann-Kendall on {blocks}, variance x{factor:.2f} for autocorrelation (Hamed-Rao, lag-1 floors)"
    return Trend(direction, slope * 3600, p_value, confidence, n, test, change)

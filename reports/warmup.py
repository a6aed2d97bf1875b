"""Where a run's warm-up ends: once the users reach their plateau, then after the latency's transient (MSER-5).

Pure numpy on one endpoint's history columns; the samples and why they are blocked: ``reports.statistics``.

Usage::

    from reports.warmup import detect_warmup

    warm = detect_warmup(times, p95, users)  # columns of one endpoint's history
    print(warm.reason)  # users reached 200 at +60 s; latency settled at +85 s (MSER-5)
    steady_times, steady_p95 = times[warm.cut_rows :], p95[warm.cut_rows :]
"""

from dataclasses import dataclass

import numpy as np

from reports import stat_tests
from reports.statistics import LOCUST_WINDOW_SECONDS, time_blocks
from reports.trend_detection import MIN_TREND_BLOCKS

MSER_BATCH = 5  # MSER-5: the truncation rule works on means of 5 rows, which damps single-row noise
MIN_WARMUP_ROWS = 20


@dataclass(frozen=True)
class WarmUp:
    cut_seconds: float  # how much of the start is left out of steady-state figures
    cut_rows: int
    reason: str  # one line, e.g. "users reached 200 at +60 s; latency settled at +75 s (MSER-5)"


def _mser_truncation(batch_means: np.ndarray) -> int:
    """Batches to drop: the d minimizing sum((z - mean(z[d:]))^2 over z[d:]) / (k - d)^2, with d at most k/2.

    The statistic is the squared standard error of the mean of what remains; the cap at half the series is the
    usual guard against MSER's taste for a quiet stretch near the end.
    """
    k = batch_means.size
    centred = batch_means - batch_means.mean()  # centring first avoids cancellation in the sums of squares
    remaining = np.arange(k, 0, -1)
    sums = np.cumsum(centred[::-1])[::-1]
    squares = np.cumsum((centred * centred)[::-1])[::-1]
    mser = (squares - sums * sums / remaining) / remaining**2
    return int(np.argmin(mser[: k // 2 + 1]))


def _mser_without_drift(times: np.ndarray, values: np.ndarray) -> int:
    """Rows to drop by MSER-5, run twice: the second time on ``values`` less the Theil-Sen line of what the first
    run kept (fitted on 10-s block means).

    MSER assumes the run settles to a level; a soak may instead drift (classify_trend's business), and on a drift
    MSER's minimum runs to the cap: a +15% leak over a day read as a five-hour warm-up. Fitting the line after the
    first cut keeps the transient itself from tilting it; on a run without drift the line is flat and changes nothing.
    """
    batches = values.size // MSER_BATCH
    first = _mser_truncation(values.reshape(batches, MSER_BATCH).mean(axis=1)) * MSER_BATCH
    block_times, means, _, _ = time_blocks(times[first:], values[first:], LOCUST_WINDOW_SECONDS, 500)
    if means.size < MIN_TREND_BLOCKS:
        return first
    steadied = values - stat_tests.theil_sen_slope(block_times, means) * (times - times[0])
    return _mser_truncation(steadied.reshape(batches, MSER_BATCH).mean(axis=1)) * MSER_BATCH


def detect_warmup(times: np.ndarray, values: np.ndarray, users: np.ndarray | None = None) -> WarmUp:
    """Where the steady state starts: once users reach their plateau, then after the transient of ``values``.

    The plateau is the first row at the maximum user count (with step-shaped load, the top step), however late. The
    transient is found by MSER-5 truncation on the rows from there (NaN rows skipped), capped at half of them, and
    run again with the run's linear drift taken out. Fewer than 20 rows: no cut at all.
    """
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    if values.size < MIN_WARMUP_ROWS:
        return WarmUp(0.0, 0, f"no cut: {values.size} rows are too few to tell a warm-up from the steady state")
    start, reasons = 0, []
    users = None if users is None else np.asarray(users, dtype=float)
    if users is not None and np.isfinite(users).any():
        peak = np.nanmax(users)
        start = int(np.argmax(users >= peak))
        reasons.append(f"users reached {peak:g} at +{times[start] - times[0]:g} s")
    rows = start + np.flatnonzero(np.isfinite(values[start:]))
    batches = rows.size // MSER_BATCH
    if batches * MSER_BATCH < MIN_WARMUP_ROWS:
        reasons.append(f"{rows.size} latency values: too few for MSER-5")
        return WarmUp(float(times[start] - times[0]), start, "; ".join(reasons))
    kept = rows[: batches * MSER_BATCH]
    if dropped := _mser_without_drift(times[kept], values[kept]):
        start = int(rows[dropped])
        reasons.append(f"latency settled at +{times[start] - times[0]:g} s (MSER-5)")
    else:
        reasons.append("no latency transient (MSER-5)")
    return WarmUp(float(times[start] - times[0]), start, "; ".join(reasons))

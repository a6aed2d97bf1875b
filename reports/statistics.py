"""Statistics for Locust's per-second histories: the samples they are computed on, means of non-overlapping blocks.

Pure numpy on arrays (no files, no pandas, no Locust): the report scripts read ``PREFIX_stats_history.csv`` and pass
its columns in. Locust's "current" percentiles and Requests/s are averages over a sliding ~10 s window, so
neighbouring rows share most of their data: every test averages rows into non-overlapping blocks (10 s or longer),
treats block means as the samples, and widens its variance for the correlation left between blocks. One module a
question: ``reports.warmup`` (where the warm-up ends), ``reports.trend_detection`` (whether a run drifts); whether
it regressed is ``reports.estimates`` and ``reports.verdicts``, on exact per-interval figures (``reports.intervals``);
the textbook parts (ranks, Mann-Kendall, Mann-Whitney, ...) are in ``reports.stat_tests``.

Usage::

    from reports.statistics import LOCUST_WINDOW_SECONDS, row_blocks, time_blocks

    block_times, means, length, row_seconds = time_blocks(times, values, min_seconds=10.0, max_blocks=500)
    means = row_blocks(values, rows=10)   # a block needs half its rows finite; a partial tail is dropped
"""

import math

import numpy as np

LOCUST_WINDOW_SECONDS = 10  # Locust's "current" percentiles and rates cover the last ~10 s


def time_blocks(times, values, min_seconds: float, max_blocks: int) -> tuple[np.ndarray, np.ndarray, float, float]:
    """Means of non-overlapping time blocks, at least min_seconds long and at most max_blocks of them, with each
    block's mean time (seconds from the first row); then the block length and the usual interval between rows."""
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    keep = np.isfinite(times) & np.isfinite(values)
    times, values = times[keep] - times[keep][:1], values[keep]  # from 0: a slope times a Unix timestamp loses digits
    if times.size < 2:
        return times, values, min_seconds, math.nan
    length = max(min_seconds, times[-1] / max_blocks)
    index = np.minimum((times // length).astype(np.int64), max_blocks - 1)
    counts = np.bincount(index)
    filled = counts > 0
    block_times = np.bincount(index, weights=times)[filled] / counts[filled]
    means = np.bincount(index, weights=values)[filled] / counts[filled]
    step = float(np.median(np.diff(times)))
    return block_times, means, length, step if step > 0 else 1.0  # repeated timestamps: Locust's default interval


def row_blocks(values: np.ndarray, rows: int) -> np.ndarray:
    """Means of consecutive blocks of ``rows`` rows; a block needs half its rows finite, a partial tail is dropped."""
    values = np.asarray(values, dtype=float)
    grid = values[: values.size // rows * rows].reshape(-1, rows)
    finite = np.isfinite(grid)
    counts = finite.sum(axis=1)
    enough = counts * 2 >= rows
    return np.where(finite, grid, 0.0).sum(axis=1)[enough] / counts[enough]

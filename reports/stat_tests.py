"""Textbook building blocks for ``reports.warmup``, ``reports.trend_detection``, ``reports.estimates`` and
``reports.verdicts``: ranks, Mann-Kendall, Theil-Sen, Holm, and the autocorrelation corrections they need on
Locust's overlapping windows.

Pure numpy: every function takes 1-D float arrays without NaN and is vectorized; the pairwise ones are O(n^2) in
memory, so callers block their series first (at most ~1000 values). How ctxload applies them, and why, is in
``reports.statistics``.

Usage::

    from reports.stat_tests import mann_kendall, theil_sen_slope, holm

    s, variance = mann_kendall(block_means)
    slope = theil_sen_slope(block_times, block_means)
    adjusted = holm(p_values)
"""

import math
from statistics import NormalDist

import numpy as np

_NORMAL = NormalDist()


def normal_quantile(p: float) -> float:
    return _NORMAL.inv_cdf(p)


def two_sided_p(z: float) -> float:
    """Two-sided p-value of a standard normal statistic."""
    return math.erfc(abs(z) / math.sqrt(2))


def average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ranks from 1 with ties sharing their average rank, and the size of every group of tied values."""
    order = np.argsort(x, kind="mergesort")
    ordered = x[order]
    starts_group = np.r_[True, ordered[1:] != ordered[:-1]]
    starts = np.flatnonzero(starts_group)
    sizes = np.diff(np.r_[starts, x.size])
    ranks = np.empty(x.size)
    ranks[order] = (starts + (sizes + 1) / 2)[np.cumsum(starts_group) - 1]
    return ranks, sizes


def ar1_variance_factor(r: float) -> float:
    """(1+r)/(1-r): how much lag-1 correlation r inflates the variance of a mean (AR(1)); r clipped to [0, 0.9].

    Below 0 the factor would shrink intervals, above 0.9 an estimate from a few dozen values is not worth its
    twentyfold widening.
    """
    r = min(max(r, 0.0), 0.9)
    return (1 + r) / (1 - r)


def moving_average_block_correlation(block_rows: float, window_rows: float) -> float:
    """Correlation of adjacent block means of a moving average over ``window_rows`` of white noise.

    What overlapping windows alone put between neighbouring blocks: 0.25 for blocks as long as the window, 0.03 for
    six times as long. (Each block mean weighs the noise by a box convolved with a box; adjacent kernels overlap.)
    """
    block, window = max(1, round(block_rows)), max(1, round(window_rows))
    kernel = np.convolve(np.ones(block), np.ones(window))
    return float(kernel[block:] @ kernel[:-block] / (kernel @ kernel))


def lag1_autocorrelation(*samples: np.ndarray) -> float:
    """Lag-1 autocorrelation pooled over samples, each centred on its own mean (a shift between them is no drift)."""
    products = squares = 0.0
    for sample in samples:
        centred = sample - sample.mean()
        products += float(centred[1:] @ centred[:-1])
        squares += float(centred @ centred)
    return products / squares if squares > 0 else 0.0


# --- trends --------------------------------------------------------------------------------------------------------


def mann_kendall(values: np.ndarray) -> tuple[float, float]:
    """S = sum of signs of all later-minus-earlier pairs, and its variance under no trend with the tie correction."""
    n = values.size
    earlier, later = np.triu_indices(n, 1)
    s = float(np.sign(values[later] - values[earlier]).sum())
    ties = average_ranks(values)[1]
    variance = (n * (n - 1) * (2 * n + 5) - np.sum(ties * (ties - 1) * (2 * ties + 5))) / 18
    return s, float(variance)


def theil_sen_slope(times: np.ndarray, values: np.ndarray) -> float:
    """Median of the slopes of all pairs (times distinct)."""
    earlier, later = np.triu_indices(values.size, 1)
    return float(np.median((values[later] - values[earlier]) / (times[later] - times[earlier])))


def hamed_rao_autocorrelations(times: np.ndarray, values: np.ndarray, slope: float) -> np.ndarray:
    """Autocorrelations at lags 1 .. n-1 of the ranks of the series detrended by ``slope`` (Hamed & Rao, 1998)."""
    ranks = average_ranks(values - slope * times)[0]
    centred = ranks - ranks.mean()
    if not centred.any():
        return np.zeros(values.size - 1)
    return np.correlate(centred, centred, mode="full")[values.size :] / (centred @ centred)


def hamed_rao_factor(autocorrelations: np.ndarray, confidence: float) -> float:
    """n/n*, the inflation of var(S) from the autocorrelations significant at ``confidence`` (may be < 1)."""
    n = autocorrelations.size + 1
    lags = np.arange(1, n)
    significant = np.abs(autocorrelations) > normal_quantile(0.5 + confidence / 2) / math.sqrt(n)
    weights = (n - lags) * (n - lags - 1) * (n - lags - 2)
    return 1 + 2 * float(np.sum(weights * autocorrelations * significant)) / (n * (n - 1) * (n - 2))


# --- two samples ---------------------------------------------------------------------------------------------------


def holm(p_values: np.ndarray) -> np.ndarray:
    """Holm's step-down adjusted p-values; NaN (not tested) counts as 1 in the ordering and stays NaN."""
    m = p_values.size
    filled = np.nan_to_num(p_values, nan=1.0)
    order = np.argsort(filled, kind="mergesort")
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * filled[order]))
    return np.where(np.isnan(p_values), np.nan, adjusted)

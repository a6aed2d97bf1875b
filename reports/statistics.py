"""Statistics for Locust's per-second histories: where the warm-up ends, whether a run drifts, whether it regressed.

Pure numpy on arrays (no files, no pandas, no Locust): the report scripts read ``PREFIX_stats_history.csv`` and pass
its columns in. Locust's "current" percentiles and Requests/s are averages over a sliding ~10 s window, so
neighbouring rows share most of their data: every test here averages rows into non-overlapping blocks (10 s or
longer), treats block means as the samples, and widens its variance for the correlation left between blocks. The
textbook parts (ranks, Mann-Kendall, Mann-Whitney, ...) are in ``reports.stat_tests``.

Usage::

    from reports.statistics import classify_trend, compare_family, detect_warmup

    warm = detect_warmup(times, p95, users)  # columns of one endpoint's history
    print(warm.reason)  # users reached 200 at +60 s; latency settled at +85 s (MSER-5)
    trend = classify_trend(times[warm.cut_rows :], p95[warm.cut_rows :])
    print(trend.direction, f"{trend.slope_per_hour:+.1f} ms/h, p={trend.p_value:.2g}", trend.test)
    p95_change, rps_change, failures_change = compare_family([
        {"baseline": old_p95, "current": new_p95, "higher_is_worse": True},
        {"baseline": old_rps, "current": new_rps, "higher_is_worse": False},  # a drop in throughput is worse
        {"baseline": old_fail_pct, "current": new_fail_pct, "higher_is_worse": True, "kind": "absolute",
         "min_effect": 1.0},  # failure rates in percent: effect and min_effect in points
    ])
    print(p95_change.verdict, f"{p95_change.effect:+.0%} [{p95_change.ci_low:+.0%}, {p95_change.ci_high:+.0%}]")
"""

import math
from dataclasses import dataclass, replace

import numpy as np

from reports import stat_tests

MSER_BATCH = 5  # MSER-5: the truncation rule works on means of 5 rows, which damps single-row noise
MIN_WARMUP_ROWS = 20
MIN_TREND_BLOCKS = 8
MIN_COMPARE_BLOCKS = 5
LOCUST_WINDOW_SECONDS = 10  # Locust's "current" percentiles and rates cover the last ~10 s

# --- warm-up -------------------------------------------------------------------------------------------------------


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
    block_times, means, _, _ = _time_blocks(times[first:], values[first:], LOCUST_WINDOW_SECONDS, 500)
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


# --- trend ---------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trend:
    direction: str  # "increasing" | "decreasing" | "stable"
    slope_per_hour: float  # Theil-Sen slope in the series' units per hour (NaN if too few points)
    p_value: float
    confidence: float  # the level asked for, e.g. 0.95
    points: int  # points actually tested (after blocking)
    test: str  # e.g. "Mann-Kendall on 120 block means of 60 s, ..."
    relative_change: float = math.nan  # Theil-Sen change over the tested span / median block mean (0.2 = +20%)


def _time_blocks(times, values, min_seconds: float, max_blocks: int) -> tuple[np.ndarray, np.ndarray, float, float]:
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
    block_times, means, length, row_seconds = _time_blocks(times, values, min_block_seconds, max_blocks)
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


# --- comparison ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Comparison:
    verdict: str  # "regression" | "improvement" | "no change" | "inconclusive"
    effect: float  # relative: current/baseline - 1 (Hodges-Lehmann); absolute: difference of means, in points
    ci_low: float  # confidence interval of `effect` (at the corrected level)
    ci_high: float
    p_value: float  # two-sided Mann-Whitney U, before correction
    p_adjusted: float  # after the multiple-testing correction across the whole family
    baseline_n: int  # blocks used (after blocking)
    current_n: int
    note: str  # one line when something is special ("no samples", "both zero", ...)
    lag1_autocorrelation: float = math.nan  # of block means; > 0 widened the interval (AR(1) effective size)


def _row_blocks(values: np.ndarray, rows: int) -> np.ndarray:
    """Means of consecutive blocks of ``rows`` rows; a block needs half its rows finite, a partial tail is dropped."""
    values = np.asarray(values, dtype=float)
    grid = values[: values.size // rows * rows].reshape(-1, rows)
    finite = np.isfinite(grid)
    counts = finite.sum(axis=1)
    enough = counts * 2 >= rows
    return np.where(finite, grid, 0.0).sum(axis=1)[enough] / counts[enough]


def _decide(low: float, high: float, p_adjusted: float, higher_is_worse: bool, min_effect: float, alpha: float) -> str:
    """The verdict rule (see compare_series); NaN or infinite bounds fall through to "inconclusive"."""
    if p_adjusted < alpha and (low > min_effect or high < -min_effect):
        return "regression" if (low > min_effect) == higher_is_worse else "improvement"
    if -min_effect < low and high < min_effect:
        return "no change"
    return "inconclusive"


def _untested(verdict: str, note: str, baseline_n: int, current_n: int, effect: float = math.nan) -> Comparison:
    p = 1.0 if verdict == "no change" else math.nan
    return Comparison(verdict, effect, effect, effect, p, p, baseline_n, current_n, note)


def compare_series(
    baseline: np.ndarray,
    current: np.ndarray,
    higher_is_worse: bool,
    *,
    min_effect: float = 0.10,
    confidence: float = 0.95,
    family_size: int = 1,
    block: int = 10,
    kind: str = "relative",
    rng: np.random.Generator | None = None,
    max_blocks: int = 1000,
) -> Comparison:
    """Did ``current`` get worse than ``baseline``? Per-row series in, a verdict with effect, interval and p out.

    Method. Both series are averaged over non-overlapping blocks of ``block`` rows (longer if a side would have
    over ``max_blocks``: on a long soak longer blocks are cheaper and closer to independent). p_value is the
    two-sided Mann-Whitney U test on block means. kind="relative": effect is the Hodges-Lehmann ratio, exp(median
    over all pairs of log(current) - log(baseline)) - 1, which is the ratio of medians when the runs differ by a
    scale factor, with the distribution-free interval from inverting the same test. kind="absolute" (failure rates
    in percent, often all zero): effect is the difference of mean block values in points with a Welch interval,
    as failures come in bursts a median would ignore. Var(U) and the variances of the means are multiplied by
    (1+r)/(1-r), r the lag-1 autocorrelation of block means, and at least by what the overlap of Locust's windows
    alone implies (x1.5 for 10-row blocks), so slow wander within a run widens the interval instead of faking
    significance. The interval is at the Bonferroni level 1 - (1 - confidence) / family_size; p_adjusted is
    Bonferroni here (compare_family applies Holm).

    Verdict, with m = min_effect (a fraction for "relative", points for "absolute"): "regression" if the interval
    lies entirely on the worse side beyond m and p_adjusted < 1 - confidence; "improvement" the same on the better
    side; "no change" if it lies entirely inside (-m, +m); else "inconclusive", also with fewer than 5 blocks on
    either side. With higher_is_worse=False (Requests/s) a drop is the regression. The method is deterministic:
    ``rng`` is accepted for callers written against a bootstrap, and unused.
    """
    if kind not in ("relative", "absolute"):
        raise ValueError(f"kind must be 'relative' or 'absolute', not {kind!r}")
    # Each side's blocks are sized by its own length: a day-long baseline may need longer blocks (at most
    # max_blocks of them), but that must not leave a short current run with too few blocks to test.
    rows_old = max(block, math.ceil(np.size(baseline) / max_blocks))
    rows_new = max(block, math.ceil(np.size(current) / max_blocks))
    rows = min(rows_old, rows_new)
    old, new = _row_blocks(baseline, rows_old), _row_blocks(current, rows_new)
    if not old.size or not new.size:
        return _untested("inconclusive", "no samples", old.size, new.size)
    if min(old.size, new.size) < MIN_COMPARE_BLOCKS:
        note = (
            f"too few samples: {old.size} and {new.size} blocks of {rows_old} and {rows_new} rows "
            f"(need {MIN_COMPARE_BLOCKS} each)"
        )
        return _untested("inconclusive", note, old.size, new.size)
    if not old.any() and not new.any():
        note = "no failures in either run" if kind == "absolute" else "both runs are zero throughout"
        return _untested("no change", note, old.size, new.size, 0.0)
    note = f"blocks of {rows_old} and {rows_new} rows" if (rows_old, rows_new) != (block, block) else ""
    if kind == "relative":
        positive = np.r_[old, new][np.r_[old, new] > 0]
        if not positive.size:
            return _untested("inconclusive", "no positive values: a relative change is undefined", old.size, new.size)
        # Logs turn the ratio into a shift. Zeros (an endpoint that stopped) become a millionth of the smallest value:
        # ranks, hence the test, are unchanged, and a run of zeros reads as -100%, not as a made-up ratio.
        floor = positive.min() * 1e-6
        old, new = np.log(np.maximum(old, floor)), np.log(np.maximum(new, floor))
    # Never less than what Locust's overlapping windows alone put between blocks (at one row a second, its default).
    overlap = stat_tests.moving_average_block_correlation(rows, LOCUST_WINDOW_SECONDS)
    r = stat_tests.lag1_autocorrelation(old, new)
    inflation = max(stat_tests.ar1_variance_factor(r), 1 + 2 * overlap)
    p_value, u_sd = stat_tests.mann_whitney(old, new, inflation)
    family_size = max(family_size, 1)
    alpha = (1 - confidence) / family_size
    if kind == "relative":
        shift = stat_tests.hodges_lehmann(old, new, u_sd, stat_tests.normal_quantile(1 - alpha / 2))
        effect, low, high = np.expm1(shift)
    else:
        effect, low, high = stat_tests.welch_interval(old, new, 1 - alpha / 2, inflation)
    p_adjusted = min(1.0, p_value * family_size)
    verdict = _decide(low, high, p_adjusted, higher_is_worse, min_effect, 1 - confidence)
    return Comparison(verdict, float(effect), float(low), float(high), p_value, p_adjusted, old.size, new.size, note, r)


def compare_family(
    pairs: list[dict], *, min_effect: float = 0.10, confidence: float = 0.95, seed: int = 0
) -> list[Comparison]:
    """compare_series over every pair, family-wise controlled: Holm p-values, Bonferroni-level intervals.

    pairs: {"baseline": arr, "current": arr, "higher_is_worse": bool, "kind": "relative" | "absolute"}; optional
    "min_effect" and "block" override the family's (failure rates in points want e.g. "min_effect": 1.0).
    ``seed`` is unused: the method is deterministic.
    """
    results = [
        compare_series(
            pair["baseline"],
            pair["current"],
            pair["higher_is_worse"],
            min_effect=pair.get("min_effect", min_effect),
            confidence=confidence,
            family_size=len(pairs),
            block=pair.get("block", 10),
            kind=pair.get("kind", "relative"),
        )
        for pair in pairs
    ]
    adjusted = stat_tests.holm(np.array([result.p_value for result in results], dtype=float))
    decided = []
    for pair, result, p_adjusted in zip(pairs, results, adjusted, strict=True):
        if np.isfinite(p_adjusted):  # untested pairs keep their "inconclusive" and its note
            worse, smallest = pair["higher_is_worse"], pair.get("min_effect", min_effect)
            verdict = _decide(result.ci_low, result.ci_high, p_adjusted, worse, smallest, 1 - confidence)
            result = replace(result, verdict=verdict, p_adjusted=float(p_adjusted))
        decided.append(result)
    return decided

"""Did a run regress against a baseline? Per-row series in, a verdict with effect, interval and p-value out.

Pure numpy on the steady-state series of both runs (``reports.series``); the samples and why they are blocked:
``reports.statistics``. ``compare_family`` compares many series at once, corrected for multiple testing.

Usage::

    from reports.run_comparison import compare_family

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
from reports.statistics import LOCUST_WINDOW_SECONDS, row_blocks

MIN_COMPARE_BLOCKS = 5


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
    old, new = row_blocks(baseline, rows_old), row_blocks(current, rows_new)
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

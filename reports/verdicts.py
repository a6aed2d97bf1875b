"""Did a figure get worse? A verdict from two runs' estimates, or from a run against a history of runs.

Pure numpy/scipy on ``reports.estimates.Estimate`` values::

    from reports.verdicts import against_history, against_run, decide_family

    tests = [against_run(baseline_mean, current_mean), against_history(history_p95s, current_p95)]
    verdicts = decide_family(tests, higher_is_worse=[True, True], min_effect=[0.10, 0.10], confidence=0.95)
    verdicts[0].verdict, verdicts[0].effect, verdicts[0].ci_low, verdicts[0].note

Two bases (``METHOD`` is their version, printed in reports and benchmarks):
* against one run ("within the run"): the difference of the two centers, its standard error the root sum of
  both squared, Welch-Satterthwaite degrees of freedom. Only the noise within each run counts: two runs of the
  same build on another day differ by more than that, which is what a history is for.
* against a history of K >= ``HISTORY_MIN_RUNS`` runs ("between runs"): the new run is judged against the
  spread of the history's run-level figures, a random-effects prediction (Higgins, Thompson & Spiegelhalter,
  JRSS A 172:137, 2009): with ybar and s^2 the mean and variance of the K figures and v their mean squared
  standard error, the between-run variance is tau^2 = max(0, s^2 - v), and under "same build" the new figure
  differs from ybar by N(0, tau^2 + se_new^2 + s^2/K), judged with Student's t on K - 1 degrees of freedom.

The verdict rule, m the minimum practical effect: "regression" when the whole interval lies beyond m on the
worse side and the Holm-adjusted p-value is below 1 - confidence; "improvement" the same on the better side;
"no change" when the interval lies within (-m, +m); otherwise "inconclusive", and the note says what would make
it conclusive (longer runs, more runs in the history, or why neither helps). Intervals are at the Bonferroni
level 1 - (1 - confidence) / family size; p-values are Holm-adjusted over the family. ``reports.compare`` makes
two families: the Aggregated row's metrics (the gate) and the endpoints' (each corrected for its own size).
"""

import math
from dataclasses import dataclass, replace

import numpy as np
from scipy.special import ndtri, stdtr, stdtrit  # scipy.stats costs ~0.8 s to import; these are enough

from reports import stat_tests
from reports.estimates import LOG, MIN_SAMPLES, Estimate

METHOD = "2 (exact per-interval means from Locust's totals; history: random-effects prediction)"
HISTORY_MIN_RUNS = 5
MAX_LENGTH_FACTOR = 20  # beyond this a longer run is not a practical suggestion


@dataclass(frozen=True)
class Test:
    """A comparison before the family's correction: the shift, its spread and how it was made."""

    shift: float  # current - baseline on the analysis scale (NaN: not tested)
    se: float
    df: float
    scale: str
    basis: str  # "within the run" or "between runs (K runs)"
    why_untested: str = ""  # one line, when shift is NaN
    # what shrinks the spread: the runs' lengths (within the run) or the history's size (between runs)
    length_share: float = math.nan  # the part of se^2 that longer runs would shrink
    fixed_share: float = 0.0  # the part no length or run count removes (between-run variance)
    history_runs: int = 0
    history_spread: float = 0.0  # s^2 / K: shrinks as the history grows
    seconds: float = math.nan  # steady-state seconds of the shorter run


@dataclass(frozen=True)
class Verdict:
    verdict: str  # "regression" | "improvement" | "no change" | "inconclusive"
    effect: float  # relative (0.25 = +25%) on a log scale, points otherwise
    ci_low: float
    ci_high: float
    p_value: float
    p_adjusted: float
    basis: str
    note: str


def _untested(why: str, scale: str, basis: str) -> Test:
    return Test(math.nan, math.nan, math.nan, scale, basis, why)


def _too_few(estimate: Estimate, side: str) -> str:
    return (
        f"the {side} has {estimate.samples} samples of steady state ({estimate.seconds:.0f} s); "
        f"at least {MIN_SAMPLES} are needed"
    )


def against_run(baseline: Estimate, current: Estimate) -> Test:
    basis = "within the run"
    for estimate, side in ((baseline, "baseline"), (current, "current run")):
        if not estimate.usable:
            return _untested(_too_few(estimate, side), current.scale, basis)
    shares = np.array([baseline.se**2, current.se**2])
    df = shares.sum() ** 2 / np.sum(shares**2 / np.array([baseline.df, current.df])) if shares.any() else math.inf
    return Test(current.center - baseline.center, math.sqrt(shares.sum()), float(df), current.scale, basis,
                length_share=float(shares.sum()), seconds=min(baseline.seconds, current.seconds))  # fmt: skip


def against_history(history: list[Estimate], current: Estimate) -> Test:
    usable = [estimate for estimate in history if estimate.usable]
    basis = f"between runs ({len(usable)} runs)"
    if not current.usable:
        return _untested(_too_few(current, "current run"), current.scale, basis)
    if len(usable) < HISTORY_MIN_RUNS:
        return _untested(f"the history has {len(usable)} usable runs", current.scale, basis)
    centers = np.array([estimate.center for estimate in usable])
    within = float(np.mean([estimate.se**2 for estimate in usable]))
    spread = float(centers.var(ddof=1))
    between = max(0.0, spread - within)
    k = len(usable)
    variance = between + current.se**2 + spread / k
    return Test(current.center - float(centers.mean()), math.sqrt(variance), k - 1.0, current.scale, basis,
                length_share=current.se**2, fixed_share=between, history_runs=k, history_spread=spread / k,
                seconds=current.seconds)  # fmt: skip


def _bounds(shift: float, half: float, scale: str) -> tuple[float, float, float]:
    if scale == LOG:
        return math.expm1(shift), math.expm1(shift - half), math.expm1(shift + half)
    return shift, shift - half, shift + half


def _limit(min_effect: float, scale: str, upward: bool) -> float:
    """The minimum effect on the analysis scale: log(1 + m) upward, log(1 - m) downward, for relative effects."""
    if scale != LOG:
        return min_effect if upward else -min_effect
    return math.log1p(min_effect) if upward else (math.log1p(-min_effect) if min_effect < 1 else -math.inf)


def _decide(low: float, high: float, p_adjusted: float, higher_is_worse: bool, up: float, down: float, alpha) -> str:
    if p_adjusted < alpha and (low > up or high < down):
        return "regression" if (low > up) == higher_is_worse else "improvement"
    if down < low and high < up:
        return "no change"
    return "inconclusive"


def _what_would_decide(test: Test, tail: float, quantile: float, up: float, down: float) -> str:
    """One line: how much longer the runs, or how many more runs of history, would turn this into a verdict."""
    gap = max(test.shift - up, down - test.shift)  # beyond a limit: room left for the interval's half-width
    if gap <= 0:
        gap = min(up - test.shift, test.shift - down)  # inside both limits: "no change" needs the interval inside
    if gap <= 0.05 * (up - down):
        return "the effect is too close to the minimum effect to decide"
    needed_se = gap / quantile
    if test.history_runs:
        if math.sqrt(test.fixed_share + test.length_share) * ndtri(1 - tail) >= gap:
            spread = math.expm1(math.sqrt(test.fixed_share)) if test.scale == LOG else math.sqrt(test.fixed_share)
            return (
                f"runs of this build vary by +-{spread:.1%} from run to run: no number of runs tells an effect "
                "this close to the minimum from that"
            )
        spread_of_mean = test.history_spread * test.history_runs  # s^2, the history's variance of run figures
        for extra in range(1, 1000):
            k = test.history_runs + extra
            half = stdtrit(k - 1, 1 - tail) * math.sqrt(test.fixed_share + test.length_share + spread_of_mean / k)
            if half < gap:
                return f"{extra} more baseline run{'s' * (extra != 1)} would decide it"
        return "more baseline runs than is practical would be needed"
    factor = (test.se / needed_se) ** 2
    if factor > MAX_LENGTH_FACTOR:
        return f"runs over {MAX_LENGTH_FACTOR} times as long would be needed"
    seconds = factor * test.seconds
    return f"runs about {max(factor, 1.1):.1f} times as long (~{seconds:.0f} s of steady state each) would decide it"


def decide_family(
    tests: list[Test], higher_is_worse: list[bool], min_effect: list[float], confidence: float = 0.95
) -> list[Verdict]:
    """Every test's verdict, corrected for the family: Holm-adjusted p-values, Bonferroni-level intervals."""
    size = max(1, sum(1 for test in tests if math.isfinite(test.shift)))
    alpha = 1 - confidence
    p_values = np.array(
        [2 * stdtr(t.df, -abs(t.shift) / t.se) if math.isfinite(t.shift) and t.se > 0 else
         (1.0 if math.isfinite(t.shift) else math.nan) for t in tests]
    )  # fmt: skip
    adjusted = stat_tests.holm(p_values)
    verdicts = []
    for test, worse, minimum, p, p_adj in zip(tests, higher_is_worse, min_effect, p_values, adjusted, strict=True):
        if not math.isfinite(test.shift):
            verdicts.append(Verdict("inconclusive", math.nan, math.nan, math.nan, math.nan, math.nan, test.basis,
                                    test.why_untested))  # fmt: skip
            continue
        quantile = float(stdtrit(test.df, 1 - alpha / (2 * size))) if test.se > 0 else 0.0
        quantile = max(quantile, 1e-9)
        effect, low, high = _bounds(test.shift, quantile * test.se, test.scale)
        up, down = _limit(minimum, test.scale, True), _limit(minimum, test.scale, False)
        shift_low, shift_high = test.shift - quantile * test.se, test.shift + quantile * test.se
        verdict = _decide(shift_low, shift_high, p_adj, worse, up, down, alpha)
        tail = alpha / (2 * size)
        note = _what_would_decide(test, tail, quantile, up, down) if verdict == "inconclusive" else ""
        verdicts.append(Verdict(verdict, effect, low, high, float(p), float(p_adj), test.basis, note))
    return verdicts


def with_note(verdict: Verdict, note: str) -> Verdict:
    return replace(verdict, note="; ".join(part for part in (verdict.note, note) if part))

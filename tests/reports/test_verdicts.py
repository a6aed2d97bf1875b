"""Verdicts: against one run and against a history of runs, on estimates and on simulated Locust runs.

The simulated runs (``benchmarks.history_sim``) are seeded, so each test is deterministic; the rates over many
more trials are ``python -m benchmarks regression-rates``'s (benchmarks/README.md).
"""

import math

import numpy as np
import pytest

from benchmarks.history_sim import simulate_run
from reports.compare import RunFigures, compare_runs
from reports.estimates import LOG, POINTS, Estimate
from reports.series import SteadyState
from reports.verdicts import HISTORY_MIN_RUNS, against_history, against_run, decide_family


def latency(ms: float, se: float = 0.005, samples: int = 55) -> Estimate:
    return Estimate(ms, math.log(ms), se, samples - 1.0, samples, float(samples), LOG)


def decide(*tests, worse=True, minimum=0.10):
    return decide_family(list(tests), [worse] * len(tests), [minimum] * len(tests))


def test_against_one_run_a_clear_slowdown_is_a_regression_and_the_same_level_no_change():
    slower, same = decide(against_run(latency(40), latency(50)), against_run(latency(40), latency(40.2)))
    assert slower.verdict == "regression" and slower.effect == pytest.approx(0.25)
    assert slower.ci_low > 0.2 and slower.basis == "within the run"
    assert same.verdict == "no change" and -0.1 < same.ci_low < same.ci_high < 0.1


def test_throughput_falling_is_the_regression_and_failures_compare_in_points():
    (fewer,) = decide(against_run(latency(100), latency(70)), worse=False)
    assert fewer.verdict == "regression" and fewer.effect == pytest.approx(-0.3)
    failures = decide_family(
        [against_run(Estimate(0.0, 0.0, 0.0, 54, 55, 55, POINTS), Estimate(5.0, 5.0, 0.4, 54, 55, 55, POINTS))],
        [True], [1.0],
    )  # fmt: skip
    assert failures[0].verdict == "regression" and failures[0].effect == pytest.approx(5.0)


def test_an_undecided_verdict_says_what_would_decide_it():
    (wide,) = decide(against_run(latency(40, se=0.04), latency(46, se=0.04)))
    assert wide.verdict == "inconclusive" and "times as long" in wide.note and "s of steady state each" in wide.note
    (short,) = decide(against_run(latency(40), latency(44, samples=4)))
    assert short.verdict == "inconclusive" and "the current run has 4 samples" in short.note
    (edge,) = decide(against_run(latency(40, se=0.01), latency(44, se=0.01)))  # exactly +10%
    assert edge.verdict == "inconclusive" and "too close to the minimum effect" in edge.note


def test_a_history_accounts_for_the_variation_between_runs():
    rng = np.random.default_rng(3)
    history = [latency(40 * math.exp(rng.normal(0, 0.05))) for _ in range(10)]  # runs vary by 5%
    (same,) = decide(against_history(history, latency(40 * 1.08)))
    assert same.verdict != "regression" and same.basis == "between runs (10 runs)"
    alone = decide(against_run(history[-1], latency(40 * 1.08)))[0]
    assert alone.ci_high - alone.ci_low < same.ci_high - same.ci_low  # within one run the interval is too narrow
    (slower,) = decide(against_history(history, latency(40 * 1.5)))
    assert slower.verdict == "regression"
    short = against_history(history[: HISTORY_MIN_RUNS - 1], latency(40))
    assert math.isnan(short.shift) and "4 usable runs" in short.why_untested
    (few,) = decide(against_history(history[:5], latency(40 * 1.4)))
    assert few.verdict == "inconclusive" and "more baseline run" in few.note, few


def figures(seed: int, **change) -> RunFigures:
    run = simulate_run(np.random.default_rng(seed), **change)
    return RunFigures.of(run, SteadyState.of(run))


@pytest.mark.parametrize("full_history", [True, False])
def test_simulated_one_minute_runs(full_history):
    same, slower = [], []
    for seed in range(12):
        baseline = figures(seed, full_history=full_history)
        table = compare_runs([baseline], figures(100 + seed, full_history=full_history)).table.set_index("metric")
        same.append(table.loc["mean", "verdict"])
        table = compare_runs([baseline], figures(200 + seed, latency_factor=1.25, full_history=full_history)).table
        slower.append(table.set_index("metric").loc["mean", "verdict"])
    assert same == ["no change"] * 12 and slower == ["regression"] * 12

"""reports' statistics on synthetic Locust histories: warm-up, trends, run-to-run verdicts, their error rates.

Histories are made the way Locust makes them: one row a second, each row a trailing 10-row average (Locust's
"current" percentiles and rates cover the last ~10 s, and its first rows are empty), over 15-minute runs. Rates
are over seeded trials, so every test is deterministic; they are printed (``pytest -s``) for the record.
"""

import math
import time

import numpy as np
import pytest

from reports import stat_tests
from reports.run_comparison import compare_family, compare_series
from reports.trend_detection import classify_trend
from reports.warmup import detect_warmup

WINDOW = 10
RUN_SECONDS = 900
LATENCY = {"p50": (40.0, 0.25), "p95": (120.0, 0.35), "p99": (250.0, 0.5)}  # ms at the median, log-normal sigma
REQUESTS_PER_SECOND = 50


def locust_window(per_second: np.ndarray) -> np.ndarray:
    """Trailing 10-row mean, NaN until the window is full: consecutive rows share 9 seconds of data."""
    smoothed = np.convolve(per_second, np.ones(WINDOW) / WINDOW)[: per_second.size]
    smoothed[: WINDOW - 1] = np.nan
    return smoothed


def latency_history(rng, level=120.0, sigma=0.35, scale=1.0, seconds=RUN_SECONDS) -> np.ndarray:
    return locust_window(level * scale * np.exp(rng.normal(0.0, sigma, seconds)))


def rps_history(rng, scale=1.0, seconds=RUN_SECONDS) -> np.ndarray:
    return locust_window(rng.poisson(REQUESTS_PER_SECOND * scale, seconds).astype(float))


def failure_history(rng, probability=0.002, seconds=RUN_SECONDS) -> np.ndarray:
    """Percent of the window's requests that failed: mostly 0 at a 0.2% failure probability."""
    requests = rng.poisson(REQUESTS_PER_SECOND, seconds)
    failures = rng.binomial(requests, probability)
    return 100 * locust_window(failures.astype(float)) / locust_window(requests.astype(float))


def run_pair(rng, endpoints=3, latency_scale=None, rps_scale=1.0, seconds=RUN_SECONDS) -> tuple[list, list[dict]]:
    """A baseline and a current run of the same process, per endpoint x metric (the report's five metrics);
    ``latency_scale`` multiplies the current run's latency metrics, e.g. {"p95": 1.25}."""
    latency_scale = latency_scale or {}
    keys, pairs = [], []
    for endpoint in range(endpoints):
        for metric, (level, sigma) in LATENCY.items():
            keys.append((endpoint, metric))
            old = latency_history(rng, level, sigma, seconds=seconds)
            new = latency_history(rng, level, sigma, latency_scale.get(metric, 1.0), seconds=seconds)
            pairs.append({"baseline": old, "current": new, "higher_is_worse": True})
        keys.append((endpoint, "rps"))
        old, new = rps_history(rng, seconds=seconds), rps_history(rng, rps_scale, seconds=seconds)
        pairs.append({"baseline": old, "current": new, "higher_is_worse": False})
        keys.append((endpoint, "failure_rate"))
        old, new = failure_history(rng, seconds=seconds), failure_history(rng, seconds=seconds)
        pairs.append({"baseline": old, "current": new, "higher_is_worse": True, "kind": "absolute", "min_effect": 1.0})
    return keys, pairs


def verdicts_over_trials(trials: int, **changes) -> list[dict]:
    """For each seeded trial, {(endpoint, metric): verdict} of compare_family over the whole family."""
    outcomes = []
    for seed in range(trials):
        keys, pairs = run_pair(np.random.default_rng(seed), **changes)
        outcomes.append({key: result.verdict for key, result in zip(keys, compare_family(pairs), strict=True)})
    return outcomes


# --- comparison: error rates over seeded trials --------------------------------------------------------------------


def test_two_runs_of_the_same_process_are_not_called_a_regression():
    outcomes = verdicts_over_trials(200)
    false_alarms = sum("regression" in verdicts.values() for verdicts in outcomes) / len(outcomes)
    no_change = np.mean([verdict == "no change" for verdicts in outcomes for verdict in verdicts.values()])
    print(f"A/A: a regression somewhere in the 15-comparison family in {false_alarms:.1%} of 200 trials")
    print(f"A/A: 'no change' in {no_change:.1%} of comparisons")
    assert false_alarms <= 0.05
    assert no_change >= 0.80  # identical runs are mostly recognised as such, not left inconclusive


def test_a_25_percent_slower_p95_is_a_regression_and_nothing_else_is():
    outcomes = verdicts_over_trials(200, latency_scale={"p95": 1.25})
    detected = sum(all(v == "regression" for (_, m), v in verdicts.items() if m == "p95") for verdicts in outcomes)
    others = [v for verdicts in outcomes for (_, m), v in verdicts.items() if m != "p95"]
    print(f"+25% p95: every endpoint's p95 a regression in {detected / len(outcomes):.1%} of 200 trials")
    assert detected / len(outcomes) >= 0.95
    assert "regression" not in others


def test_a_25_percent_drop_in_requests_per_second_is_a_regression():
    outcomes = verdicts_over_trials(200, rps_scale=0.75)
    detected = sum(all(v == "regression" for (_, m), v in verdicts.items() if m == "rps") for verdicts in outcomes)
    print(f"-25% RPS: every endpoint's RPS a regression in {detected / len(outcomes):.1%} of 200 trials")
    assert detected / len(outcomes) >= 0.95


def test_a_shift_below_the_minimum_effect_is_never_a_regression():
    outcomes = verdicts_over_trials(200, latency_scale={"p50": 1.03, "p95": 1.03, "p99": 1.03})
    shifted = [v for verdicts in outcomes for (_, m), v in verdicts.items() if m in LATENCY]
    print(f"+3% latency: 'no change' in {shifted.count('no change') / len(shifted):.1%} of comparisons")
    assert "regression" not in shifted
    assert shifted.count("no change") / len(shifted) >= 0.5


# --- comparison: single cases -------------------------------------------------------------------------------------


def test_faster_latency_and_more_throughput_are_improvements():
    for seed in range(20):
        rng = np.random.default_rng(seed)
        faster = compare_series(latency_history(rng), latency_history(rng, scale=0.75), higher_is_worse=True)
        more = compare_series(rps_history(rng), rps_history(rng, scale=1.25), higher_is_worse=False)
        assert (faster.verdict, more.verdict) == ("improvement", "improvement"), (seed, faster, more)
        assert faster.effect == pytest.approx(-0.25, abs=0.05) and more.effect == pytest.approx(0.25, abs=0.05)


def test_the_effect_is_the_ratio_with_an_interval_that_covers_the_true_one():
    covered = 0
    for seed in range(200):
        rng = np.random.default_rng(seed)
        result = compare_series(latency_history(rng), latency_history(rng, scale=1.25), higher_is_worse=True)
        covered += result.ci_low <= 0.25 <= result.ci_high
        assert result.baseline_n == result.current_n == RUN_SECONDS // WINDOW - 1  # the first block is empty rows
    print(f"+25%: the 95% interval covered the true +25% in {covered / 200:.1%} of 200 trials")
    assert covered / 200 >= 0.93


def test_a_family_widens_intervals_and_adjusts_p_values_by_holm():
    keys, pairs = run_pair(np.random.default_rng(1), latency_scale={"p95": 1.25})
    family = compare_family(pairs)
    alone = [compare_series(p["baseline"], p["current"], p["higher_is_worse"], kind=p.get("kind", "relative"),
                            min_effect=p.get("min_effect", 0.10)) for p in pairs]  # fmt: skip
    for single, member in zip(alone, family, strict=True):
        assert member.p_value == single.p_value
        if single.ci_high > single.ci_low:  # not two runs without failures
            assert member.ci_low < single.ci_low and single.ci_high < member.ci_high
    p_values = np.array([member.p_value for member in family])
    smallest = int(np.argmin(p_values))
    assert family[smallest].p_adjusted == pytest.approx(min(1.0, len(pairs) * p_values[smallest]))
    np.testing.assert_allclose([member.p_adjusted for member in family], stat_tests.holm(p_values))


def test_holm_steps_down_and_keeps_untested_pairs_out():
    adjusted = stat_tests.holm(np.array([0.01, 0.04, np.nan, 0.03, 0.5]))
    np.testing.assert_allclose(adjusted, [0.05, 0.12, np.nan, 0.12, 1.0])


def test_mann_whitney_mann_kendall_and_welch_match_hand_computed_examples():
    # Ranks 1.5 1.5 3.5 3.5 5.5 5.5: U = 14.5 - 6 = 8.5 against a mean of 4.5; three pairs of ties.
    p_value, u_sd = stat_tests.mann_whitney(np.array([1.0, 1.0, 2.0]), np.array([2.0, 3.0, 3.0]))
    assert u_sd == pytest.approx(math.sqrt(9 / 12 * (7 - 18 / 30)))
    assert p_value == pytest.approx(math.erfc((8.5 - 4.5 - 0.5) / u_sd / math.sqrt(2)))
    # Five rising pairs and one tie; the tied pair of 2s takes 2 x 1 x 9 out of 4 x 3 x 13.
    assert stat_tests.mann_kendall(np.array([1.0, 2.0, 2.0, 3.0])) == (5.0, pytest.approx((156 - 18) / 18))
    # Welch with one constant sample: df = 4, t(0.975, 4) = 2.776445, standard error sqrt(2.5 / 5).
    difference, low, high = stat_tests.welch_interval(np.zeros(5), np.arange(1.0, 6.0), 0.975)
    assert (difference, low, high) == pytest.approx((3, 3 - 2.776445 * math.sqrt(0.5), 3 + 2.776445 * math.sqrt(0.5)))


def test_failure_rates_compare_in_points_and_no_failures_at_all_is_no_change():
    rng = np.random.default_rng(3)
    clean = compare_series(np.zeros(600), np.zeros(600), True, kind="absolute", min_effect=1.0)
    assert (clean.verdict, clean.effect, clean.note) == ("no change", 0.0, "no failures in either run")
    failing = compare_series(np.zeros(600), failure_history(rng, 0.05, 600), True, kind="absolute", min_effect=1.0)
    assert failing.verdict == "regression" and failing.ci_low < 5.0 < failing.ci_high and failing.ci_low > 1.0
    rare = compare_series(np.zeros(600), failure_history(rng, 0.002, 600), True, kind="absolute", min_effect=1.0)
    assert rare.verdict == "no change" and 0 < rare.effect < 1.0


def test_an_endpoint_that_stopped_serving_is_a_regression_of_all_its_throughput():
    rng = np.random.default_rng(4)
    result = compare_series(rps_history(rng), np.zeros(RUN_SECONDS), higher_is_worse=False)
    assert result.verdict == "regression" and result.effect == pytest.approx(-1.0) and result.ci_high < -0.99


def test_too_few_samples_or_none_is_inconclusive_with_a_note():
    rng = np.random.default_rng(5)
    short = compare_series(latency_history(rng), latency_history(rng, seconds=45), True)
    assert short.verdict == "inconclusive" and "too few samples" in short.note and short.current_n == 3
    assert math.isnan(short.p_value) and math.isnan(short.effect)
    empty = compare_series(np.array([]), latency_history(rng), True)
    assert (empty.verdict, empty.note) == ("inconclusive", "no samples")
    [family_member] = compare_family(
        [{"baseline": np.full(20, np.nan), "current": np.ones(100), "higher_is_worse": True}]
    )
    assert (family_member.verdict, family_member.note) == ("inconclusive", "no samples")


def test_an_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        compare_series(np.ones(100), np.ones(100), True, kind="ratio")


def test_a_day_long_family_of_20_endpoints_and_5_metrics_is_fast():
    keys, pairs = run_pair(np.random.default_rng(6), endpoints=20, latency_scale={"p99": 1.5}, seconds=86_400)
    started = time.perf_counter()
    results = compare_family(pairs)
    print(f"compare_family, 20 endpoints x 5 metrics of 86,400 rows: {time.perf_counter() - started:.2f} s")
    assert len(results) == 100
    assert {r.verdict for (_, m), r in zip(keys, results, strict=True) if m == "p99"} == {"regression"}
    assert all(r.note == "blocks of 87 and 87 rows" and r.baseline_n == 993 for r in results)


# --- trend ---------------------------------------------------------------------------------------------------------


def drifting(rng, change, seconds=RUN_SECONDS) -> tuple[np.ndarray, np.ndarray]:
    """A p95 history whose level moves linearly by ``change`` (0.2 = +20%) over the run."""
    times = np.arange(seconds, dtype=float)
    return times, locust_window(120.0 * (1 + change * times / seconds) * np.exp(rng.normal(0.0, 0.35, seconds)))


def test_a_20_percent_drift_over_the_run_is_increasing_with_the_right_slope():
    trends = [classify_trend(*drifting(np.random.default_rng(seed), 0.20)) for seed in range(100)]
    rate = np.mean([trend.direction == "increasing" for trend in trends])
    print(f"+20% drift: 'increasing' in {rate:.0%} of 100 trials")
    assert rate >= 0.90
    assert np.median([trend.slope_per_hour for trend in trends]) == pytest.approx(120 * 0.2 * 4, rel=0.15)
    assert np.median([trend.relative_change for trend in trends]) == pytest.approx(0.2, abs=0.05)
    assert trends[0].points == 90 and trends[0].test.startswith("Mann-Kendall on 90 block means of 10 s")


def test_a_falling_series_is_decreasing():
    trends = [classify_trend(*drifting(np.random.default_rng(seed), -0.20)) for seed in range(20)]
    assert all(trend.direction == "decreasing" and trend.slope_per_hour < 0 for trend in trends)


def test_flat_noise_is_stable_about_as_often_as_the_confidence_says():
    # At 95% confidence a calibrated test calls 5% of flat series a trend. The bound sits between that and the ~11%
    # seen without the autocorrelation correction (Locust's overlapping windows), 3.5 standard errors from each.
    trends = [classify_trend(*drifting(np.random.default_rng(seed), 0.0)) for seed in range(1000)]
    stable = np.array([trend.direction == "stable" for trend in trends])
    print(f"flat: 'stable' in {stable[:100].mean():.0%} of the first 100 trials, {stable.mean():.1%} of 1000")
    assert stable.mean() >= 0.93


def test_too_few_blocks_or_a_constant_series_is_stable():
    short = classify_trend(np.arange(60.0), np.arange(60.0))  # 6 blocks of 10 s
    assert (short.direction, short.points) == ("stable", 6) and math.isnan(short.p_value)
    assert math.isnan(short.slope_per_hour) and short.test.startswith("not tested")
    constant = classify_trend(np.arange(600.0), np.full(600, 200.0))
    assert (constant.direction, constant.p_value, constant.slope_per_hour) == ("stable", 1.0, 0.0)


def test_a_day_long_series_is_blocked_to_500_points():
    times, values = drifting(np.random.default_rng(7), 0.05, seconds=86_400)
    times += 1_700_000_000  # Locust's timestamps are Unix seconds
    started = time.perf_counter()
    trend = classify_trend(times, values)
    print(f"classify_trend on 86,400 rows: {(time.perf_counter() - started) * 1000:.0f} ms")
    assert trend.points == 500 and "500 block means of 172.78 s" in trend.test  # (86,399 - 9 empty rows) / 500
    assert trend.direction == "increasing" and trend.relative_change == pytest.approx(0.05, abs=0.02)


# --- warm-up -------------------------------------------------------------------------------------------------------


def warming_up(rng, seconds=RUN_SECONDS) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users in steps of 50 every 15 s to 200 (plateau at +45 s); latency rises with load and is 2.5x too high until
    +60 s (cold caches), then settles linearly to its steady level at +90 s. Locust's 10-s window carries the
    transient 9 s further: in the history it truly ends at +99 s."""
    times = np.arange(seconds, dtype=float)
    users = np.minimum(200.0, 50.0 * (times // 15 + 1))
    excess = 1.5 * np.clip((90 - times) / 30, 0, 1)
    per_second = 100 * (0.5 + 0.5 * users / 200) * (1 + excess) * np.exp(rng.normal(0.0, 0.3, seconds))
    return times, locust_window(per_second), users


def test_the_warmup_ends_near_the_end_of_the_latency_transient():
    cuts = np.array([detect_warmup(*warming_up(np.random.default_rng(seed))).cut_seconds for seed in range(50)])
    near = np.mean(np.abs(cuts - 99) <= 15)
    print(f"warm-up: cut within 15 s of the true end (+99 s) in {near:.0%} of 50 trials, median +{np.median(cuts):g} s")
    assert near >= 0.8 and abs(np.median(cuts) - 99) <= 15
    assert cuts.min() >= 99 - 15  # never keeps much of the transient: what is kept must be steady
    reason = detect_warmup(*warming_up(np.random.default_rng(0))).reason
    assert reason.startswith("users reached 200 at +45 s; latency settled at +") and reason.endswith("(MSER-5)")


def test_step_load_without_a_latency_transient_is_cut_where_users_plateau():
    # Users plateau at +45 s; latency follows the load, and Locust's window has caught up with it at +54 s.
    cuts = []
    for seed in range(50):
        times, _, users = warming_up(np.random.default_rng(seed))
        steady = 100 * (0.5 + 0.5 * users / 200) * np.exp(np.random.default_rng(seed).normal(0.0, 0.3, times.size))
        cuts.append(detect_warmup(times, locust_window(steady), users).cut_seconds)
    near = np.mean(np.abs(np.array(cuts) - 54) <= 15)
    print(f"step load: cut within 15 s of +54 s in {near:.0%} of 50 trials, at most +{max(cuts):g} s")
    assert min(cuts) >= 45 and near >= 0.8  # never before the plateau; MSER-5 sometimes cuts some steady rows too


def test_a_flat_series_is_barely_cut():
    times = np.arange(RUN_SECONDS, dtype=float)
    cuts = [detect_warmup(times, latency_history(np.random.default_rng(seed)), np.full(times.size, 50.0)).cut_seconds
            for seed in range(50)]  # fmt: skip
    print(f"flat: no cut in {np.mean(np.equal(cuts, 0)):.0%} of 50 trials, at most {max(cuts):g} s")
    assert np.median(cuts) == 0 and max(cuts) <= 0.2 * RUN_SECONDS
    constant = detect_warmup(times, np.full(times.size, 80.0))
    assert (constant.cut_rows, constant.reason) == (0, "no latency transient (MSER-5)")


def test_a_drifting_soak_is_not_mistaken_for_a_warmup():
    # An hour whose latency climbs 30% (a leak), without and with a cold start that truly ends at +99 s in the
    # history: MSER-5 alone, without the drift taken out, cut minutes of either in some trials.
    times = np.arange(3600.0)
    leak = 100 * (1 + 0.3 * times / 3600)
    cold = 1 + 1.5 * np.clip((90 - times) / 30, 0, 1)
    for seed in range(20):
        noise = np.exp(np.random.default_rng(seed).normal(0.0, 0.3, times.size))
        assert detect_warmup(times, locust_window(leak * noise)).cut_seconds <= 60, seed
        assert abs(detect_warmup(times, locust_window(leak * cold * noise)).cut_seconds - 99) <= 15, seed


def test_short_all_nan_and_starting_high_series():
    assert detect_warmup(np.arange(19.0), np.linspace(500, 100, 19), np.arange(19.0)).cut_rows == 0
    times = np.arange(300.0)
    unmeasured = detect_warmup(times, np.full(300, np.nan), np.minimum(times, 60))
    assert unmeasured.cut_seconds == 60 and "0 latency values" in unmeasured.reason
    settling = 100 * (1 + 2 * np.exp(-times / 20)) * np.exp(np.random.default_rng(8).normal(0.0, 0.3, times.size))
    warmup = detect_warmup(times, locust_window(settling))  # no user counts: the latency alone decides
    assert 40 <= warmup.cut_seconds <= 130 and warmup.reason.startswith("latency settled at +")


def test_a_short_run_against_a_day_long_baseline_still_gets_a_verdict():
    rng = np.random.default_rng(5)
    baseline = rng.lognormal(3.0, 0.2, 86_400)
    current = rng.lognormal(3.0, 0.2, 400) * 1.5
    (result,) = compare_family([{"baseline": baseline, "current": current, "higher_is_worse": True}])
    assert result.verdict == "regression" and result.current_n == 40, result

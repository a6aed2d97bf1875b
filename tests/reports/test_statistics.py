"""reports' statistics on synthetic Locust histories: warm-up and trends, and their error rates.

Histories are made the way Locust makes them: one row a second, each row a trailing 10-row average (Locust's
"current" percentiles and rates cover the last ~10 s, and its first rows are empty), over 15-minute runs. Rates
are over seeded trials, so every test is deterministic; they are printed (``pytest -s``) for the record.
"""

import math
import time

import numpy as np
import pytest

from reports import stat_tests
from reports.trend_detection import classify_trend
from reports.warmup import detect_warmup

WINDOW = 10
RUN_SECONDS = 900
LATENCY = {"p50": (40.0, 0.25), "p95": (120.0, 0.35), "p99": (250.0, 0.5)}  # ms at the median, log-normal sigma


def locust_window(per_second: np.ndarray) -> np.ndarray:
    """Trailing 10-row mean, NaN until the window is full: consecutive rows share 9 seconds of data."""
    smoothed = np.convolve(per_second, np.ones(WINDOW) / WINDOW)[: per_second.size]
    smoothed[: WINDOW - 1] = np.nan
    return smoothed


def latency_history(rng, level=120.0, sigma=0.35, scale=1.0, seconds=RUN_SECONDS) -> np.ndarray:
    return locust_window(level * scale * np.exp(rng.normal(0.0, sigma, seconds)))


# --- textbook parts ----------------------------------------------------------------------------------------------


def test_holm_steps_down_and_keeps_untested_pairs_out():
    adjusted = stat_tests.holm(np.array([0.01, 0.04, np.nan, 0.03, 0.5]))
    np.testing.assert_allclose(adjusted, [0.05, 0.12, np.nan, 0.12, 1.0])


def test_mann_kendall_matches_a_hand_computed_example():
    # Five rising pairs and one tie; the tied pair of 2s takes 2 x 1 x 9 out of 4 x 3 x 13.
    assert stat_tests.mann_kendall(np.array([1.0, 2.0, 2.0, 3.0])) == (5.0, pytest.approx((156 - 18) / 18))


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

"""Change points: a level shift is found where it is, noise is left alone, tiny histories still work."""

import numpy as np

from reports.change_points import find_changes


def test_a_step_is_found_where_it_is_with_the_levels_before_and_after():
    rng = np.random.default_rng(1)
    values = np.r_[rng.normal(43, 1, 12), rng.normal(54, 1, 8)]
    (change,) = find_changes(values, log=True)
    assert change.index == 12 and 42 < change.before < 44 and 53 < change.after < 55
    assert 0.2 < change.relative < 0.3 and change.p_value < 0.01


def test_noise_and_small_changes_are_left_alone():
    rng = np.random.default_rng(2)
    assert find_changes(rng.lognormal(np.log(43), 0.05, 20), log=True) == []
    assert find_changes(np.r_[np.full(6, 43.0), np.full(6, 45.0)], log=True) == []  # +4.7%: under the 10% minimum


def test_three_runs_and_three_more_are_enough_and_points_work_too():
    (change,) = find_changes([42.5, 42.2, 42.5, 52.2, 52.2, 52.2], log=True)
    assert change.index == 3
    (failures,) = find_changes([0.1, 0.0, 0.2, 0.1, 5.0, 6.0, 5.5, 5.2], min_change=1.0)
    assert failures.index == 4 and 5 < failures.relative < 6  # in points
    assert find_changes([1.0, 2.0]) == [] and find_changes([np.nan] * 8) == []

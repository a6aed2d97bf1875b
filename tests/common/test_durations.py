"""One duration syntax for every duration: options, the thresholds file, the web UI's form."""

import re

import pytest

from common.durations import parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(5, 5.0), (2.5, 2.5), ("10s", 10.0), ("500ms", 0.5), ("2m", 120.0), ("1h", 3600.0), ("7", 7.0), (" 3 s ", 3.0)],
)
def test_durations_are_seconds(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["-1s", -2, "-0.5"])
def test_negative_durations_are_refused_naming_the_value(value):
    with pytest.raises(ValueError, match=rf"duration {re.escape(repr(value))} is negative"):
        parse_duration(value)


@pytest.mark.parametrize("value", ["soon", "10 secs", "", True, None, [1], "1e3s"])
def test_garbage_durations_are_refused_naming_the_value(value):
    with pytest.raises(ValueError, match=rf"invalid duration {re.escape(repr(value))}"):
        parse_duration(value)


def test_infinite_durations_are_refused():
    with pytest.raises(ValueError, match="not finite"):
        parse_duration(float("inf"))


@pytest.mark.parametrize(
    ("value", "seconds"), [("1h30m", 5400.0), ("2m500ms", 120.5), ("1h30m10s", 5410.0), (".5s", 0.5)]
)
def test_units_combine_largest_first(value, seconds):
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["1m1h", "1h 2h", "ms", "30min", "1h-2m"])
def test_units_out_of_order_or_repeated_are_refused(value):
    with pytest.raises(ValueError, match="invalid duration"):
        parse_duration(value)

"""Which runs can be compared at all: one line per reason, and latency left out when failures dominate."""

from reports.comparability import latency_caveat, reasons

BASE = {"users": 20, "ramp_seconds": 1.0, "duration_seconds": 60.0, "host": "http://127.0.0.1:8080",
        "settings": {"spawn_rate": 20, "shape": "none", "tags": None}, "generator_bound": False,
        "failure_percent": 0.0}  # fmt: skip


def test_the_same_load_is_comparable():
    assert reasons(BASE, {**BASE, "duration_seconds": 65.0}) == []
    assert reasons(BASE, {**BASE, "host": None, "settings": {}}) == []  # unknown is not different


def test_each_difference_is_one_line():
    other = {**BASE, "users": 200, "ramp_seconds": 40.0, "duration_seconds": 3600.0, "host": "http://10.0.0.1",
             "settings": {"spawn_rate": 5, "shape": "ramp", "tags": ["write"]}, "generator_bound": True}  # fmt: skip
    found = reasons(BASE, other)
    assert found[0] == "different user counts: baseline 20, current 200"
    assert any("users reached their peak after 1 s (baseline) and 40 s (current)" in line for line in found)
    assert (
        "different spawn rate: baseline 20, current 5" in found
        and "different shape: baseline none, current ramp" in found
    )
    assert any(line.startswith("different hosts:") for line in found)
    assert any("differ more than 5 times" in line for line in found)
    assert any("generator was saturated during the current run" in line for line in found)
    assert len(found) == 8


def test_many_failures_leave_latency_without_a_verdict():
    assert latency_caveat({**BASE, "failure_percent": 31.0}, "current run").startswith("31% of requests failed")
    assert latency_caveat(BASE, "current run") is None

"""The monitor's small parts on their own: history bounds, saturation, windowed figures, metric values."""

import argparse

import pytest
from locust.stats import RequestStats

from monitors.figures import LocustFigures
from monitors.generators import WorkerTable
from monitors.history import History
from monitors.options import MonitorSettings, interval, poll_interval, retention
from monitors.saturation import SaturationWatch
from monitors.snapshot import metric_value


def test_history_keeps_a_count_or_an_age_and_answers_for_the_last_minutes():
    by_count = History(max_snapshots=3)
    for second in range(5):
        by_count.add({"time": float(second)})
    assert [s["time"] for s in by_count.last()] == [2.0, 3.0, 4.0] and by_count.dropped == 2
    by_age = History(max_seconds=120)
    for second in range(0, 400, 10):
        by_age.add({"time": float(second)})
    assert by_age.last()[0]["time"] == 270.0  # 390 - 120
    assert [s["time"] for s in by_age.last(minutes=0.5)] == [360.0, 370.0, 380.0, 390.0]


def test_saturation_needs_ten_seconds_above_90_percent_and_is_said_once():
    watch = SaturationWatch()
    assert watch.observe({"w1": 95.0}, 0.0) is None
    assert watch.observe({"w1": 50.0}, 5.0) is None  # a dip restarts the clock
    assert watch.observe({"w1": 95.0}, 6.0) is None
    assert watch.observe({"w1": 95.0}, 15.0) is None
    message = watch.observe({"w1": 99.0, "w2": None}, 16.0)
    assert message.startswith("GENERATOR-BOUND: w1") and watch.bound
    assert watch.observe({"w1": 99.0}, 30.0) is None  # said once; the mark stays
    assert watch.describe() == "generator-bound: w1"


def test_error_rate_and_average_cover_the_last_ten_seconds_not_the_whole_run():
    stats = RequestStats()
    figures = LocustFigures()
    for _ in range(100):
        stats.log_request("GET", "/a", 100, 10)
    first = figures.read(stats, now=0.0)
    assert first["avg_response_ms"] == 100 and first["error_rate_percent"] == 0
    for _ in range(10):
        stats.log_request("GET", "/a", 10, 10)
        stats.log_error("GET", "/a", "boom")
    later = figures.read(stats, now=11.0)  # the first read is now more than 10 s old: it is the base
    assert later["avg_response_ms"] == 10 and later["error_rate_percent"] == 100.0
    assert later["endpoints"]["/a"]["requests"] == 110
    assert later["rps"] == round(10 / 11, 2)  # 10 requests in the 11 s since the base
    assert later["lost_writes"] is None  # no audit: absent


def test_a_stalled_target_reads_as_zero_rps_and_no_error_rate():
    stats = RequestStats()
    figures = LocustFigures()
    figures.read(stats, now=0.0)
    for _ in range(50):
        stats.log_request("GET", "/a", 5, 10)
    figures.read(stats, now=1.0)
    stalled = figures.read(stats, now=12.0)  # nothing completed in the last 11 s
    assert stalled["rps"] == 0.0 and stalled["error_rate_percent"] is None and stalled["avg_response_ms"] is None


def test_lost_writes_come_from_their_failure_row_and_pushes_from_the_push_figures():
    stats = RequestStats()
    for _ in range(3):
        stats.log_request("AUDIT", "lost writes", None, 0)
        stats.log_error("AUDIT", "lost writes", "acknowledged write not found")
    stats.log_request("GET", "GET /ctx (audit)", 3, 10)
    read = LocustFigures().read(stats, now=0.0)
    assert read["lost_writes"] == 3 and "lost_pushes" not in read and "push_p95_ms" not in read
    pushes = {"push_p95_ms": 7.0, "lost_pushes": 0, "push_reach_percent": 100.0}
    assert metric_value(snapshot(push=pushes), "push_p95_ms") == 7.0
    assert metric_value(snapshot(push=pushes), "lost_pushes") == 0
    assert metric_value(snapshot(push=None), "push_reach_percent") is None  # no Socket.IO in the run: absent


def snapshot(**overrides) -> dict:
    base = {
        "time": 0.0,
        "users": 4,
        "generators": {
            "worker-1": {"process": {"cpu_percent": 40.0, "memory_mb": 80.0}, "ws_sessions": 3, "missing": False},
            "worker-2": {"process": {"cpu_percent": 95.0, "memory_mb": 90.0}, "ws_sessions": 5, "missing": True},
        },
        "target": None,
        "system": {"cpu_percent": 30.0, "memory_percent": 40.0, "load1": 1.0},
        "locust": {"rps": 10.0, "endpoints": {"GET /ctx": {"rps": 4.0}}, "lost_writes": 0},
        "server": {"error": "HTTP 500"},
    }
    return {**base, **overrides}


def test_metric_values_are_absent_not_zero_and_leave_out_silent_workers():
    shot = snapshot()
    assert metric_value(shot, "target_cpu_percent") is None  # no target process: absent
    assert metric_value(shot, "server_keys") is None  # the server could not say
    assert metric_value(shot, "generator_cpu_percent") == 40.0  # worker-2 stopped reporting
    assert metric_value(shot, "ws_sessions") == 3
    assert metric_value(shot, "rps", "GET /ctx") == 4.0 and metric_value(shot, "rps", "GET /nope") is None
    assert metric_value(shot, "lost_writes") == 0  # zero is a value


def test_a_worker_that_falls_silent_is_flagged_once():
    table = WorkerTable(silence_limit=5.0)
    table.update("host_a", {"process": None}, now=0.0)
    table.update("host_b", {"process": None}, now=0.0)
    table.update("host_b", {"process": None}, now=6.0)
    assert table.newly_missing(7.0) == ["worker-1 (host_a)"]
    assert table.newly_missing(8.0) == []
    assert table.generators(8.0)["worker-1 (host_a)"]["missing"] is True
    assert table.generators(8.0)["worker-2 (host_b)"]["missing"] is False
    table.keep_only({"host_a"})  # host_b quit cleanly: the master no longer lists it
    assert list(table.generators(9.0)) == ["worker-1 (host_a)"]


@pytest.mark.parametrize(
    ("parser", "text"),
    [(interval, "0.05"), (interval, "61"), (interval, "fast"), (poll_interval, "0.2"), (retention, "ten"),
     (retention, "0"), (retention, "1.5")],
)  # fmt: skip
def test_bad_option_values_are_refused_with_the_value_named(parser, text):
    with pytest.raises(argparse.ArgumentTypeError, match=repr(text)):
        parser(text)


def test_retention_is_a_count_or_a_duration():
    assert MonitorSettings(monitor_retention="600").retention_snapshots == 600
    assert MonitorSettings(monitor_retention="2h").retention_seconds == 7200
    assert MonitorSettings(monitor_retention="30m").retention_snapshots is None


def test_chart_series_have_gaps_not_zeros_a_line_per_worker_and_alert_periods():
    from monitors.charts import chart_data

    shots = [snapshot(time=float(second)) for second in range(3)]
    shots[1]["generators"]["worker-2"]["missing"] = False
    status = {"alerts": [{"id": 1, "rule": "slow", "metric": "rps", "severity": "critical", "state": "resolved",
                          "peak_severity": "critical", "message": "m", "started": 1.0, "acknowledged_at": None,
                          "resolved_at": 2.0}]}  # fmt: skip
    data = chart_data(shots, status, "pass")
    cpu = next(chart for chart in data["charts"] if chart["key"] == "cpu")
    lines = {trace["name"]: trace["y"] for trace in cpu["traces"]}
    assert lines["target server"] == [None, None, None]  # not measured: gaps
    assert lines["worker worker-1"] == [40.0, 40.0, 40.0]
    assert lines["worker worker-2"] == [None, 95.0, None]  # only while it reported
    assert cpu["traces"][0]["x"] == [0.0, 1000.0, 2000.0]  # epoch milliseconds, for the browser
    assert data["alerts"][0]["started"] == 1000.0 and data["alerts"][0]["resolved_at"] == 2000.0
    one_worker = [{**shot, "generators": {"local": shot["generators"]["worker-1"]}} for shot in shots]
    single = next(chart for chart in chart_data(one_worker, {"alerts": []}, "pass")["charts"] if chart["key"] == "cpu")
    assert [trace["name"] for trace in single["traces"]] == ["target server", "busiest generator"]

"""The monitor in real in-process Locust runs against the reference server: alerts, verdict, export."""

import csv
import json

from junitparser import Failure, JUnitXml, Skipped

from monitors.export import ALERT_COLUMNS, export_paths
from monitors.hooks import run_monitor_for
from monitors.snapshot import ROW_COLUMNS
from traffic.reader import ContextReader
from traffic.socketio_users import SocketIOSubscriber
from traffic.writer import ContextWriter


def rules_file(tmp_path, text: str):
    path = tmp_path / "thresholds.toml"
    path.write_text(text)
    return str(path)


def junit_cases(path) -> dict:
    return {case.name: case for suite in JUnitXml.fromfile(str(path)) for case in suite}


def test_an_impossible_threshold_is_a_critical_alert_exit_3_and_a_junit_failure(run_locust, slow_server, tmp_path):
    rules = rules_file(tmp_path, '[[rule]]\nname = "fast"\nmetric = "avg_response_ms"\nwarning = 1\ncritical = 2\n')
    junit = tmp_path / "verdict.xml"
    environment = run_locust(
        [ContextWriter],
        slow_server.url,
        seconds=3,
        users=4,
        monitored=True,
        thresholds=rules,
        junit=str(junit),
        monitor_interval=0.2,
    )
    monitor = run_monitor_for(environment).monitor
    held = monitor.alerts.critical_held()
    assert [alert.rule for alert in held] == ["fast"]
    assert held[0].value >= 30  # the injected latency, measured
    assert environment.process_exit_code == 3
    cases = junit_cases(junit)
    assert isinstance(cases["fast"].result[0], Failure)
    assert not cases["lost writes"].result and not cases["error-rate"].result
    assert isinstance(cases["target-cpu"].result[0], Skipped)  # no target process was given


def test_a_generous_threshold_passes(run_locust, slow_server, tmp_path):
    rules = rules_file(
        tmp_path, '[[rule]]\nname = "fast"\nmetric = "avg_response_ms"\nwarning = 5000\ncritical = 9000\n'
    )
    junit = tmp_path / "verdict.xml"
    environment = run_locust(
        [ContextWriter], slow_server.url, seconds=2, users=4, monitored=True, thresholds=rules, junit=str(junit)
    )
    monitor = run_monitor_for(environment).monitor
    assert "fast" in monitor.measured and not monitor.alerts.all()
    assert environment.process_exit_code is None  # Locust decides: no failures -> 0
    results = {name: case.result for name, case in junit_cases(junit).items()}
    assert not any(isinstance(result, Failure) for outcome in results.values() for result in outcome)
    # Skipped, no data: no target process was given, and writes over HTTP with no session expect no pushes.
    assert {name for name, outcome in results.items() if outcome} == {"target-cpu", "target-memory", "lost pushes"}


def test_sustained_for_and_hysteresis_on_the_user_count(run_locust, server, tmp_path):
    rules = rules_file(
        tmp_path,
        'defaults = false\n[[rule]]\nname = "crowd"\nmetric = "users"\nwarning = 4\nsustained_for = "1.5s"\n',
    )
    phases = [(5, 0.3), (2, 0.5), (5, 2.5), (4, 0.6), (5, 0.6), (4, 0.6), (3, 1.0)]
    environment = run_locust(
        [ContextReader], server.url, monitored=True, phases=phases, thresholds=rules, monitor_interval=0.1
    )
    monitor = run_monitor_for(environment).monitor
    alerts = monitor.alerts.all()
    assert len(alerts) == 1, [alert.as_dict() for alert in alerts]  # the short first breach never fired
    alert = alerts[0]
    snapshots = monitor.history.last()
    dip = next(s["time"] for s in snapshots if s["users"] == 2)
    third_phase_start = next(s["time"] for s in snapshots if s["users"] == 5 and s["time"] > dip)
    assert alert.started - third_phase_start >= 1.5  # sustained for 1.5 s before firing
    # 5 -> 4 -> 5 -> 4: 4 is not past the margin (5% of 4), so no new alert; 3 resolves it.
    assert alert.state == "resolved"
    assert next(s for s in snapshots if s["time"] == alert.resolved_at)["users"] == 3


def test_an_abort_rule_stops_the_run_early(run_locust, slow_server, tmp_path):
    rules = rules_file(
        tmp_path,
        '[[rule]]\nname = "stop-now"\nmetric = "avg_response_ms"\nwarning = 1\ncritical = 2\nabort = true\n',
    )
    environment = run_locust(
        [ContextWriter], slow_server.url, seconds=4, users=4, monitored=True, thresholds=rules, monitor_interval=0.2
    )
    monitor = run_monitor_for(environment).monitor
    assert "avg_response_ms" in monitor.aborted and monitor.aborted_by == "stop-now"
    (alert,) = monitor.alerts.all()
    snapshots = monitor.history.last()
    # The aborting snapshot was the last of a running test: the users were stopped right after it.
    assert max(s["time"] for s in snapshots if s["state"] == "running") == alert.started
    assert snapshots[-1]["state"] == "stopped" and snapshots[-1]["users"] == 0
    assert environment.process_exit_code == 3


def test_exports_parse_and_lost_writes_fail_their_junit_case(run_locust, start_server, tmp_path):
    server = start_server("--drop-write-rate", "0.3", "--fault-seed", "4")
    prefix = str(tmp_path / "out" / "run")
    junit = tmp_path / "verdict.xml"
    environment = run_locust(
        [ContextWriter],
        server.url,
        seconds=2,
        users=4,
        monitored=True,
        monitor_export=prefix,
        monitor_export_every=0.5,
        junit=str(junit),
        monitor_interval=0.2,
        target_pid=server.pid,
        server_poll_interval=0.5,
        key_space=1_000_000,
    )
    paths = export_paths(prefix)
    document = json.loads(paths["monitor.json"].read_text())
    assert document["final"] is True and document["snapshots"]
    last = document["snapshots"][-1]
    assert last["target"]["pid"] == server.pid and last["target"]["memory_mb"] > 0
    assert last["server"]["keys"] > 0
    with paths["monitor.csv"].open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == ROW_COLUMNS and len(rows) == len(document["snapshots"])
    assert int(rows[-1]["lost_writes"]) > 0
    with paths["alerts.csv"].open(newline="") as handle:
        assert tuple(csv.DictReader(handle).fieldnames) == ALERT_COLUMNS
    lost = environment.stats.entries[("lost writes", "AUDIT")].num_failures
    case = junit_cases(junit)["lost writes"]
    assert isinstance(case.result[0], Failure) and case.result[0].message.startswith(f"{lost} ")


def test_subscribed_sessions_reach_the_monitor_through_the_gauge_event(run_locust, server):
    environment = run_locust(
        [SocketIOSubscriber], server.url, seconds=2, users=3, monitored=True, monitor_interval=0.2, tags=["ws"]
    )
    running = [s for s in run_monitor_for(environment).monitor.history.last() if s["state"] == "running"]
    assert running[-1]["generators"]["local"]["ws_sessions"] == 3


def test_a_rule_on_an_endpoint_nobody_used_is_a_warning_and_a_skipped_case(run_locust, server, tmp_path, caplog):
    rules = rules_file(tmp_path, '[[rule]]\nmetric = "p95_response_ms"\nendpoint = "GET /nope"\ncritical = 5\n')
    junit = tmp_path / "verdict.xml"
    run_locust([ContextWriter], server.url, seconds=1, users=2, monitored=True, thresholds=rules, junit=str(junit))
    assert "names endpoint 'GET /nope', which no request used" in caplog.text
    (case,) = [case for name, case in junit_cases(junit).items() if "GET /nope" in name]
    assert isinstance(case.result[0], Skipped) and "no data" in case.result[0].message

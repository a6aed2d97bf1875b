"""The monitor through the ``locust`` command: bad thresholds files, the exit code, distributed runs."""

import json
import subprocess

import pytest

from monitors.export import export_paths
from tests.conftest import PROJECT_ROOT
from tests.helpers import embedded_server_pid


def run(locust_command, *args: str, timeout: float = 90) -> subprocess.CompletedProcess:
    return subprocess.run(locust_command(*args), cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=timeout)


BAD_FILES = [
    ('[[rule]]\nmetric = "avg_response_ms"\nwarning = 1\ncritical = \n', ":4:", "invalid"),
    ('[[rule]]\nname = "x"\n\nmetric = "cpu"\nwarning = 1\n', ":4:", "unknown metric 'cpu'"),
    ('[[rule]]\nmetric = "avg_response_ms"\nwarning = 95\ncritical = 90\n', ":3:", "warning 95 is above critical 90"),
    ('[[rule]]\nmetric = "users"\nwarning = 5\nsustained_for = "-3s"\n', ":4:", "-3s"),
]


@pytest.mark.parametrize(("text", "line", "message"), BAD_FILES)
def test_a_bad_thresholds_file_is_one_line_naming_file_and_line_and_exit_2(
    locust_command, tmp_path, text, line, message
):
    path = tmp_path / "bad.toml"
    path.write_text(text)
    result = run(locust_command, "--headless", "-u", "1", "-t", "3s", "--thresholds", str(path))
    assert result.returncode == 2
    errors = [row for row in result.stderr.splitlines() if "error" in row.lower()]
    assert len(errors) == 1 and f"{path}{line}" in errors[0] and message in errors[0], result.stderr[-2000:]
    assert embedded_server_pid(result.stderr) is None  # nothing started, no traffic sent


def test_a_missing_thresholds_file_is_exit_2(locust_command, tmp_path):
    result = run(locust_command, "--headless", "-u", "1", "-t", "3s", "--thresholds", str(tmp_path / "none.toml"))
    assert result.returncode == 2 and "none.toml" in result.stderr


def test_the_quick_start_with_an_impossible_rule_exits_3_and_samples_the_embedded_server(locust_command, tmp_path):
    rules = tmp_path / "rules.toml"
    rules.write_text(
        '[[rule]]\nname = "impossible"\nmetric = "rps"\nwarning = 100000\ncritical = 90000\n'
        'direction = "below"\nsustained_for = "1s"\n'
    )
    prefix = str(tmp_path / "run")
    result = run(
        locust_command,
        "--headless", "-u", "6", "-r", "6", "-t", "5s", "--tags", "read", "write",
        "--thresholds", str(rules), "--junit", str(tmp_path / "verdict.xml"), "--monitor-export", prefix,
        "--monitor-summary-every", "2",
    )  # fmt: skip
    log = result.stderr
    assert result.returncode == 3, log[-3000:]
    verdict = "Monitor verdict: FAIL (exit 3); 1 alerts (0 warning, 1 critical), 1 still active; critical at the end: "
    assert verdict + "rps" in log
    assert "Monitor: " in log  # the periodic summary
    document = json.loads(export_paths(prefix)["monitor.json"].read_text())
    targets = [snapshot["target"] for snapshot in document["snapshots"] if snapshot["target"]]
    assert targets and targets[-1]["pid"] == embedded_server_pid(log)
    assert document["verdict"]["exit_code_monitor"] == 3
    assert "impossible" in (tmp_path / "verdict.xml").read_text()


def test_two_worker_processes_report_to_the_master_which_totals_them(locust_command, server, tmp_path):
    prefix = str(tmp_path / "dist")
    result = run(
        locust_command,
        "--headless", "--processes", "2", "-u", "6", "-r", "6", "-t", "5s", "--host", server.url,
        "--tags", "ws", "--monitor-export", prefix, "--monitor-interval", "0.5",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    document = json.loads(export_paths(prefix)["monitor.json"].read_text())
    running = [snapshot for snapshot in document["snapshots"] if snapshot["state"] == "running"]
    last = running[-1]
    assert len(last["generators"]) == 2 and all(g["process"]["pid"] for g in last["generators"].values())
    pids = {g["process"]["pid"] for g in last["generators"].values()}
    assert len(pids) == 2
    sessions = [g["ws_sessions"] for g in last["generators"].values()]
    assert sessions == [3, 3]  # every Socket.IO user (subscriber or writer) holds one session
    assert last["target"] is None  # a remote host, and no --target-pid: absent, not zero

"""The target killed (SIGKILL) mid-run and started again on the same port: the run goes on and says what happened."""

import csv
import json
import os
import re
import signal
import subprocess
import sys
import time

from monitors.export import export_paths
from refserver.launcher import ReferenceServer
from reports.load import load_run
from tests.conftest import PROJECT_ROOT
from tests.helpers import free_port, wait_for

AUDIT = re.compile(
    r"Write audit: (\d+) writes acknowledged on (\d+) keys; (\d+) checked: (\d+) verified, (\d+) lost, "
    r"(\d+) changed by others, (\d+) unreadable, (\d+) lost to (\d+) target restart"
)


def failures_by_endpoint(prefix: str) -> dict[str, list[str]]:
    with open(f"{prefix}_failures.csv", newline="") as handle:
        found: dict[str, list[str]] = {}
        for row in csv.DictReader(handle):
            found.setdefault(f"{row['Method']} {row['Name']}", []).append(row["Error"])
        return found


def stats_rows(prefix: str) -> dict[str, dict]:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return {f"{row['Type']} {row['Name']}": row for row in csv.DictReader(handle)}


def test_a_target_killed_and_restarted_mid_run(locust_command, tmp_path):
    port = free_port()
    first = ReferenceServer("--port", str(port), dump_dir=tmp_path / "dumps")
    second = ReferenceServer("--port", str(port), dump_dir=tmp_path / "dumps")
    prefix = str(tmp_path / "run")
    log_path = tmp_path / "locust.log"
    command = locust_command(
        "--headless", "-u", "12", "-r", "12", "-t", "22s", "--host", first.start(), "--stop-timeout", "3",
        "--csv", prefix, "--csv-full-history", "--monitor-export", prefix, "--request-timeout", "3",
    )  # fmt: skip
    try:
        with open(log_path, "w") as log:
            locust = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
        wait_for(lambda: "Ramping to 12 users" in log_path.read_text() or locust.poll() is not None, 30)
        time.sleep(7)  # traffic flows, keys are written
        os.kill(first.pid, signal.SIGKILL)
        first.stop()
        time.sleep(2)  # the target is down: every request fails to connect
        second.start()
        code = locust.wait(timeout=90)
    finally:
        if locust.poll() is None:
            locust.kill()
        second.stop()
    output = log_path.read_text()
    assert code == 1, output[-3000:]  # connection failures: Locust's own exit code, not a crash

    # One clear line when it went, one when it came back, saying that it restarted and lost its data.
    assert re.search(r"Target \S+ stopped answering: .+ failed with \w*Connection\w*", output), output[-3000:]
    assert re.search(r"answers again after [\d.]+ s \(\d+ requests failed\); it restarted and lost", output)

    # Connection errors counted per endpoint, with the error named.
    failures = failures_by_endpoint(prefix)
    for endpoint in ("POST POST /ctx", "GET GET /ctx"):
        assert any("Connection" in error for error in failures.get(endpoint, [])), failures.keys()
    assert any("WS connect" in endpoint for endpoint in failures)

    # The Socket.IO sessions came back.
    rows = stats_rows(prefix)
    assert int(rows["WS WS reconnect"]["Request Count"]) > 0
    assert int(rows["WS WS reconnect"]["Failure Count"]) == 0

    # The audit: what was written before the restart is accounted to it; nothing else was lost.
    audit = AUDIT.search(output)
    assert audit, output[-3000:]
    _acknowledged, keys, checked, verified, lost, _changed, _unreadable, to_restart, restarts = map(int, audit.groups())
    assert restarts == 1 and lost == 0 and to_restart > 0 and verified > 0
    assert checked == verified + to_restart
    assert "AUDIT lost writes" not in rows  # restart losses are not "lost by the target under load"

    # Every file written and readable.
    run = load_run(prefix)
    assert run.stats["requests"].sum() > 0 and len(run.history) > 1
    assert json.loads(export_paths(prefix)["monitor.json"].read_text())["final"] is True
    report = subprocess.run(
        [sys.executable, "-m", "reports", "summary", prefix, "--out", str(tmp_path / "summary")],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert report.returncode == 0, report.stderr

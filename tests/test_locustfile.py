"""The two-command start: ``locust`` with no host runs against an embedded server, and stops it."""

import csv
import re
import signal
import subprocess
import time

import psutil
import pytest
import requests

from tests.conftest import PROJECT_ROOT
from tests.helpers import embedded_server_pid, is_running


def read_stats(csv_prefix) -> dict:
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        rows = {row["Name"]: row for row in csv.DictReader(handle)}
    return rows


def test_headless_run_without_host_runs_every_http_user_against_the_embedded_server(locust_command, tmp_path):
    prefix = tmp_path / "run"
    result = subprocess.run(
        locust_command("--headless", "-u", "24", "-r", "24", "-t", "6s", "--csv", str(prefix)),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    pid = embedded_server_pid(result.stderr)
    assert pid is not None, output[-3000:]
    assert not is_running(pid)
    for user_class in ("ContextReader", "ContextWriter", "MixedUser", "DumpUser", "LargePayloadUser"):
        assert f'"{user_class}"' in result.stderr, f"{user_class} did not run"
    rows = read_stats(prefix)
    assert int(rows["Aggregated"]["Request Count"]) > 0
    assert int(rows["Aggregated"]["Failure Count"]) == 0
    # Aggregated counts the requests the users sent, HTTP and Socket.IO: pushes received have a place of their own.
    sent = [row for name, row in rows.items() if name != "Aggregated"]
    assert int(rows["Aggregated"]["Request Count"]) == sum(int(row["Request Count"]) for row in sent)
    assert not [name for name in rows if "push" in name.lower() or name == "WS snapshot"], sorted(rows)
    with open(f"{prefix}_push_stats.csv", newline="") as handle:
        pushes = {row["Name"]: row for row in csv.DictReader(handle)}
    assert int(pushes["push context_updated"]["Request Count"]) > 0 and pushes["push context_updated"]["Type"] == "PUSH"
    assert {"GET /ctx", "POST /ctx", "GET /ctx/dump/list", "GET /ctx (audit)"} <= set(rows)
    assert "Response time percentiles" in output  # Locust's own summary
    assert re.search(r"Write audit: \d+ writes acknowledged on \d+ keys; \d+ checked: \d+ verified, 0 lost", output)


def test_run_with_host_starts_nothing(locust_command, server, tmp_path):
    before = requests.get(f"{server.url}/ctx/all").json()["history_count"]
    result = subprocess.run(
        locust_command("--headless", "-u", "5", "-r", "5", "-t", "3s", "--host", server.url),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert embedded_server_pid(result.stderr) is None
    assert requests.get(f"{server.url}/ctx/all").json()["history_count"] > before


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_the_embedded_server_listens_on_loopback_only_and_stops_when_interrupted(locust_command, tmp_path, stop_signal):
    log_path = tmp_path / "locust.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            locust_command("--headless", "-u", "10", "-r", "10", "-t", "60s"),
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 30
        while embedded_server_pid(log_path.read_text()) is None and time.monotonic() < deadline:
            time.sleep(0.2)
        pid = embedded_server_pid(log_path.read_text())
        assert pid is not None and is_running(pid)
        listening = [c.laddr for c in psutil.Process(pid).net_connections("inet") if c.status == psutil.CONN_LISTEN]
        assert listening and all(address.ip == "127.0.0.1" for address in listening)  # loopback only
        time.sleep(2)
        process.send_signal(stop_signal)
        process.wait(30)
    finally:
        process.kill()
    log_text = log_path.read_text()
    assert not is_running(pid), log_text[-3000:]
    assert "Response time percentiles" in log_text

"""The write audit and paced figures in Locust's own distributed mode: workers audit, the master sums."""

import csv
import re
import subprocess

from tests.conftest import PROJECT_ROOT


def run_two_workers(locust_command, host: str, users: int, *options: str) -> subprocess.CompletedProcess:
    """A 5 s headless run with ``--processes 2``; users finish their task at the end (--stop-timeout)."""
    command = locust_command(
        "--headless",
        "--processes",
        "2",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        "5s",
        "--host",
        host,
        "--stop-timeout",
        "5",
        *options,
    )
    return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)


def stats_rows(prefix) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return {(row["Type"], row["Name"]): row for row in csv.DictReader(handle)}


def test_two_worker_processes_audit_and_the_master_sums_exactly(locust_command, start_server, http, tmp_path):
    server = start_server("--drop-write-rate", "0.1", "--fault-seed", "9")
    prefix = tmp_path / "dist"
    result = run_two_workers(
        locust_command, server.url, 6, "--tags", "write", "--key-space", "1000000", "--csv", str(prefix)
    )
    output = result.stdout + result.stderr
    dropped = http.get(f"{server.url}/_faults").json()["dropped_writes"]
    assert dropped > 0
    summary = re.search(
        r"Write audit: (\d+) writes acknowledged on (\d+) keys; (\d+) checked: (\d+) verified, "
        r"(\d+) lost.*summed over 2 workers",
        output,
    )
    assert summary, output[-4000:]
    acknowledged, keys, checked, verified, lost = map(int, summary.groups())
    assert lost == dropped and checked == keys == verified + lost
    rows = stats_rows(prefix)
    assert int(rows[("AUDIT", "lost writes")]["Failure Count"]) == dropped
    canaries = int(rows[("POST", "POST /ctx (canary)")]["Request Count"])  # one per worker (verification.target_watch)
    assert canaries == 2 and int(rows[("POST", "POST /ctx")]["Request Count"]) + canaries == acknowledged
    assert result.returncode == 1  # lost writes are failures


def test_push_delivery_is_summed_on_the_master(locust_command, server, tmp_path):
    result = run_two_workers(locust_command, server.url, 8, "--tags", "write", "ws")
    output = result.stdout + result.stderr
    summary = re.search(
        r"Push delivery: (\d+) expected, (\d+) delivered, (\d+) lost, \d+ duplicated, \d+ out of order"
        r"(?: \((\d+) unsettled when the test stopped\))?.*summed over 2 workers",
        output,
    )
    assert summary, output[-4000:]
    expected, delivered, lost, unsettled = (int(group or 0) for group in summary.groups())
    assert expected > 0 and lost == 0 and delivered + unsettled == expected
    assert result.returncode == 0, output[-3000:]

"""Locust's own distributed mode with every User and the monitor: the master sums, and survives a lost worker."""

import csv
import json
import re
import signal
import subprocess
import time

from monitors.export import export_paths
from tests.conftest import PROJECT_ROOT
from tests.helpers import free_port, wait_for

AUDIT = re.compile(r"Write audit: (\d+) writes acknowledged on (\d+) keys; (\d+) checked: (\d+) verified, (\d+) lost")


def aggregated(prefix: str) -> dict:
    with open(f"{prefix}_stats.csv", newline="") as handle:
        return next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")


def line_of(output: str, match: re.Match) -> str:
    return output[match.start() :].splitlines()[0]


def test_processes_2_with_every_user_and_the_monitor_sums_on_the_master(locust_command, server, tmp_path):
    prefix = str(tmp_path / "run")
    result = subprocess.run(
        locust_command(
            "--headless",
            "--processes",
            "2",
            "-u",
            "14",
            "-r",
            "14",
            "-t",
            "8s",
            "--host",
            server.url,
            "--stop-timeout",
            "3",
            "--csv",
            prefix,
            "--monitor-export",
            prefix,
            "--monitor-interval",
            "0.5",
            "--report",
            str(tmp_path / "report"),
        ),  # fmt: skip
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert int(aggregated(prefix)["Request Count"]) > 0
    *workers, master = AUDIT.finditer(output)  # each worker's line, then the master's sum
    assert len(workers) == 2 and "summed over 2 workers" in line_of(output, master), output[-3000:]
    assert "went missing" not in output
    assert int(master.group(1)) == sum(int(worker.group(1)) for worker in workers) > 0
    assert int(master.group(5)) == 0  # nothing lost
    assert re.search(r"Push delivery: \d+ expected, \d+ delivered, 0 lost.*summed over 2 workers", output)
    assert "Monitor verdict:" in output
    snapshots = json.loads(export_paths(prefix)["monitor.json"].read_text())["snapshots"]
    running = [snapshot for snapshot in snapshots if snapshot["state"] == "running"]
    assert len(running[-1]["generators"]) == 2
    report = (tmp_path / "report" / "report.md").read_text()  # the master's, with the workers' sums
    assert "Verdict: PASS (exit code 0)." in report and "summed over 2 workers" in report
    total = next(line for line in report.splitlines() if line.startswith("| Aggregated "))
    assert int(total.split("|")[2].strip().replace(",", "")) == int(aggregated(prefix)["Request Count"])


def test_a_worker_killed_mid_run_is_reported_and_the_master_goes_on(locust_command, server, tmp_path):
    port = free_port()
    prefix = str(tmp_path / "run")
    master_log, worker_logs = tmp_path / "master.log", [tmp_path / "worker1.log", tmp_path / "worker2.log"]
    master_args = (
        "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", "2",
        "--headless", "-u", "12", "-r", "12", "-t", "20s", "--host", server.url, "--stop-timeout", "3",
        "--csv", prefix, "--monitor-export", prefix, "--monitor-interval", "0.5",
    )  # fmt: skip
    worker_args = ("--worker", "--master-host", "127.0.0.1", "--master-port", str(port))
    processes = []
    try:
        with open(master_log, "w") as log:
            master = subprocess.Popen(locust_command(*master_args), cwd=PROJECT_ROOT, stdout=log, stderr=log)
        processes.append(master)
        for path in worker_logs:
            with open(path, "w") as log:
                processes.append(
                    subprocess.Popen(locust_command(*worker_args), cwd=PROJECT_ROOT, stdout=log, stderr=log)
                )
        wait_for(lambda: "All users spawned" in master_log.read_text() or master.poll() is not None, 60)
        time.sleep(6)  # both workers run their users and report
        processes[2].send_signal(signal.SIGKILL)
        code = master.wait(timeout=90)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
    output = master_log.read_text()
    assert code == 0, output[-3000:]
    # Locust's own line, then ours: the run goes on with the other worker, and the summaries say what is missing.
    assert re.search(r"Worker \S+ failed to send heartbeat, setting state to missing", output), output[-3000:]
    assert re.search(r"monitor: worker \S+ went missing \(no heartbeat\); 1 worker\(s\) left", output)
    assert re.search(r"Monitor verdict: .*1 worker\(s\) went missing during the run", output), output[-3000:]
    audit = list(AUDIT.finditer(output))[-1]
    assert "summed over 1 worker; 1 worker(s) went missing during the run" in line_of(output, audit)
    assert int(audit.group(5)) == 0 and int(audit.group(1)) > 0  # the surviving worker's writes, all there
    # It went on: while the lost worker was flagged, the other one kept sending requests.
    snapshots = json.loads(export_paths(prefix)["monitor.json"].read_text())["snapshots"]
    after_loss = [
        snapshot["locust"]["requests"]
        for snapshot in snapshots
        if snapshot["state"] == "running" and any(g["missing"] for g in snapshot["generators"].values())
    ]
    assert len(after_loss) > 2 and after_loss[-1] > after_loss[0]
    assert int(aggregated(prefix)["Request Count"]) > 0

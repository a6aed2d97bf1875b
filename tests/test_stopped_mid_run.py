"""The suite stopped mid-run by SIGINT or SIGTERM: every file is written and readable, nothing is left running."""

import json
import signal
import subprocess
from pathlib import Path

import psutil
import pytest
from junitparser import JUnitXml

from monitors.export import export_paths
from reports.load import load_run
from tests.conftest import PROJECT_ROOT
from tests.helpers import embedded_server_pid, is_running, wait_for


def pushing(prefix: str) -> bool:
    """The latest snapshot of the export has users running and pushes delivered."""
    last = json.loads(export_paths(prefix)["monitor.json"].read_text())["snapshots"][-1]
    return bool(last["users"] and (last["push"] or {}).get("pushes_delivered"))


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM])
def test_a_run_stopped_by_a_signal_keeps_every_figure_and_leaves_nothing_running(locust_command, tmp_path, stop_signal):
    prefix = str(tmp_path / "run")
    junit = tmp_path / "verdict.xml"
    command = locust_command(
        "--headless", "-u", "8", "-r", "8", "-t", "5m", "--tags", "read", "write", "ws",
        "--csv", prefix, "--csv-full-history", "--monitor-export", prefix, "--monitor-export-every", "1",
        "--junit", str(junit),
    )  # fmt: skip
    log_path = tmp_path / "locust.log"
    with open(log_path, "w") as log:
        locust = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: export_paths(prefix)["monitor.json"].exists(), 30)  # running, and the monitor writing
        # users running, and pushes delivered (the delivery line is printed when there were some)
        wait_for(lambda: pushing(prefix), 30)
        children = psutil.Process(locust.pid).children(recursive=True)
        locust.send_signal(stop_signal)
        code = locust.wait(timeout=90)
    finally:
        if locust.poll() is None:
            locust.kill()
    output = log_path.read_text()
    assert code in (0, 1), output[-3000:]  # Locust's verdict on its requests, not a crash
    run = load_run(prefix)  # every CSV complete: a cut line would be refused here
    assert run.stats["requests"].sum() > 0 and len(run.history) > 1
    document = json.loads(export_paths(prefix)["monitor.json"].read_text())
    assert document["final"] is True and document["verdict"]["summary"].startswith("Monitor verdict:")
    cases = {case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite}
    assert {"lost writes", "lost pushes", "error-rate"} <= cases
    for summary in ("Monitor verdict:", "Write audit:", "Push delivery:", "Aggregated"):
        assert summary in output, summary
    server = embedded_server_pid(output)
    assert server is not None and not is_running(server)
    assert not [child.pid for child in children if is_running(child.pid)]  # no orphan


def test_a_master_killed_outright_takes_its_workers_server_and_temporary_folder_with_it(locust_command, tmp_path):
    # SIGKILL leaves Locust no handler to run: the workers of --processes and the embedded server must end by
    # themselves (ctxload.worker_leash; refserver.launcher), and the server remove its temporary dump folder.
    # Before, the workers loaded the target ~60 s more and each run left a /tmp/ctxload-dumps-* folder.
    command = locust_command("--headless", "-u", "4", "-r", "4", "-t", "5m", "--processes", "2", "--tags", "write")
    log_path = tmp_path / "locust.log"
    with open(log_path, "w") as log:
        locust = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: "All users spawned" in log_path.read_text(), 60)
        children = psutil.Process(locust.pid).children(recursive=True)
        server = next(child for child in children if "refserver" in child.cmdline())
        arguments = server.cmdline()
        dump_dir = arguments[arguments.index("--dump-dir") + 1]
        assert len(children) == 3 and "ctxload-dumps-" in dump_dir, [child.cmdline() for child in children]
        locust.kill()
        locust.wait(10)
        wait_for(lambda: not [child for child in children if is_running(child.pid)], 15)
    finally:
        if locust.poll() is None:
            locust.kill()
    wait_for(lambda: not Path(dump_dir).exists(), 10)

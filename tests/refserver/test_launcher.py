"""refserver.launcher: the server starts on a free loopback port, and is never left running."""

import signal
import subprocess
import sys
import time

import pytest
import requests

from refserver.launcher import PROJECT_ROOT, ReferenceServer, ServerStartError
from tests.helpers import is_running


def test_start_answers_and_stop_ends_the_process():
    server = ReferenceServer()
    url = server.start()
    assert url.startswith("http://127.0.0.1:")
    assert requests.get(f"{url}/ctx/all").status_code == 200
    assert is_running(server.pid)
    server.stop()
    assert not is_running(server.pid)
    assert server.stop() is None  # a second stop is harmless


def test_temporary_dump_folder_is_removed(tmp_path):
    with ReferenceServer() as server:
        path = requests.post(f"{server.url}/ctx/dump", json={"format": "json"}).json()["path"]
    assert not (tmp_path / path).exists()


def test_bad_option_raises_instead_of_hanging():
    with pytest.raises(ServerStartError, match="exited with code 2"):
        ReferenceServer("--error-rate", "7").start()


def test_server_dies_with_its_parent_even_on_sigkill():
    parent = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from refserver.launcher import ReferenceServer; import time; s = ReferenceServer(); s.start(); "
            "print(s.pid, flush=True); time.sleep(60)",
        ],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        server_pid = int(parent.stdout.readline())
        assert is_running(server_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10)
        deadline = time.monotonic() + 10
        while is_running(server_pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not is_running(server_pid)
    finally:
        parent.kill()
        parent.stdout.close()

"""Start the reference server as a subprocess, wait until it answers, stop it for sure.

Usage::

    from refserver.launcher import ReferenceServer

    with ReferenceServer("--error-rate", "0.1") as server:   # extra ``python -m refserver`` options
        requests.get(f"{server.url}/ctx/all")
    # stopped here: SIGTERM, then SIGKILL after a grace period

The server binds a free port on 127.0.0.1 (``--port 0``) and reports it on its first stdout
line. It runs in its own session, so a Ctrl-C meant for the parent doesn't cut it off while the
parent is still measuring, and on Linux it is told to exit if its parent dies (even by
SIGKILL), so it is never left running. Unless ``dump_dir`` is given, dumps go to a temporary
folder that the server removes when it exits, and this class on stop.
"""

import contextlib
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from refserver.cli import READY_PREFIX

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ServerStartError(RuntimeError):
    """The reference server exited or stayed silent before it was ready."""


def exit_with_parent(parent_pid: int):
    """A ``preexec_fn``: ask Linux to SIGTERM the child when its parent dies."""

    def arrange():
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent_pid:  # the parent died before prctl took effect
            os._exit(1)

    return arrange if sys.platform.startswith("linux") else None


class ReferenceServer:
    def __init__(
        self,
        *options: str,
        host: str = "127.0.0.1",
        dump_dir: Path | None = None,
        startup_timeout: float = 20.0,
        stop_timeout: float = 5.0,
    ):
        self.options = list(options)
        self.host = host
        self.dump_dir = dump_dir
        self.startup_timeout = startup_timeout
        self.stop_timeout = stop_timeout
        self.process: subprocess.Popen | None = None
        self.pid: int | None = None
        self.url: str | None = None
        self._temp_dump_dir: str | None = None

    def start(self) -> str:
        """Start the server and return its base URL once it answers HTTP (``GET /_faults``, never faulted)."""
        if self.dump_dir is None:
            self._temp_dump_dir = tempfile.mkdtemp(prefix="ctxload-dumps-")
        dump_dir = self.dump_dir or Path(self._temp_dump_dir)
        command = [
            sys.executable,
            "-m",
            "refserver",
            "--host",
            self.host,
            "--port",
            "0",
            "--dump-dir",
            str(dump_dir),
            *(["--remove-dump-dir"] if self._temp_dump_dir else []),
            *self.options,
        ]
        self.process = subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=exit_with_parent(os.getpid()),
        )
        self.pid = self.process.pid
        deadline = time.monotonic() + self.startup_timeout
        try:
            self.url = self._read_url(deadline)
            self._wait_until_answering(deadline)
        except BaseException:
            self.stop()
            raise
        return self.url

    def _read_url(self, deadline: float) -> str:
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while time.monotonic() < deadline:
                if selector.select(timeout=0.2):
                    line = self.process.stdout.readline().decode(errors="replace")
                    if line.startswith(READY_PREFIX):
                        return line[len(READY_PREFIX) :].strip()
                    if not line:  # its stdout closed: it is exiting (wait for its code, which may lag)
                        with contextlib.suppress(subprocess.TimeoutExpired):
                            self.process.wait(max(0.1, deadline - time.monotonic()))
                        break
                if self.process.poll() is not None:
                    break
        code = self.process.poll()
        if code is not None:
            raise ServerStartError(f"reference server exited with code {code} before it was ready")
        raise ServerStartError(f"reference server did not start within {self.startup_timeout:g} s")

    def _wait_until_answering(self, deadline: float) -> None:
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{self.url}/_faults", timeout=1) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if self.process.poll() is not None:
                raise ServerStartError(f"reference server exited with code {self.process.returncode}")
            time.sleep(0.05)
        raise ServerStartError(f"reference server at {self.url} did not answer within {self.startup_timeout:g} s")

    def stop(self) -> int | None:
        """Stop the server (SIGTERM, then SIGKILL); return its exit code, None if it wasn't running.

        Safe to call twice, even while another call is still waiting (Locust may run its
        shutdown twice on SIGTERM): every call waits until the process is gone.
        """
        process = self.process
        if process is None:
            return None
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(self.stop_timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self.process = None
        if process.stdout:
            process.stdout.close()
        if self._temp_dump_dir:
            shutil.rmtree(self._temp_dump_dir, ignore_errors=True)
            self._temp_dump_dir = None
        return process.returncode

    def __enter__(self) -> "ReferenceServer":
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop()

"""Child processes of the benchmarks: pinned to a CPU, measured by the kernel, never left behind.

Usage::

    from benchmarks.child_processes import Child, pinned

    with Child([*pinned(1), sys.executable, "-c", "print(1)"]) as child:
        result = child.wait(timeout=60)      # killed, and ChildTimeout raised, past the timeout
    result.returncode, result.stdout, result.stderr
    result.wall_seconds, result.cpu_seconds, result.peak_rss_bytes

    with Child(command) as child:            # a child that runs beside the measurement
        child.wait_for_line("ready", timeout=120)
        ...
        child.signal(signal.SIGUSR1)
        result = child.wait(timeout=30)
    # leaving the block stops it (SIGTERM, then SIGKILL) if it still runs: after an error or a Ctrl-C too

Each child runs in a session of its own, so a Ctrl-C at the terminal reaches only the benchmark,
which then stops its children as it unwinds; Linux is asked to SIGTERM the child should the
benchmark die without unwinding (even by SIGKILL). Its stdout and stderr go to temporary files (no
pipe can fill up and stall it). Its CPU time and peak RSS are the kernel's own accounting of it
(``wait4``): exact however short its life, and covering its own children. ``taskset`` (see
``pinned``) executes the command in its own place, so the accounting is that of the command.
"""

import os
import shutil
import subprocess
import tempfile
import time

from refserver.launcher import exit_with_parent

POLL_SECONDS = 0.05
STOP_GRACE_SECONDS = 5.0


class ChildTimeout(RuntimeError):
    """A child did not finish (or print what was awaited) in time; it has been stopped."""


def can_pin() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2


def pinned(cpu: int) -> list[str]:
    """The ``taskset`` prefix that runs a command on one CPU (nothing when it can't be done)."""
    return ["taskset", "-c", str(cpu)] if can_pin() else []


def pin_process(pid: int, cpu: int) -> None:
    """Pin an already running process (the reference server) to one CPU, when there are 2+."""
    if can_pin():
        import psutil

        psutil.Process(pid).cpu_affinity([cpu])


class Result:
    def __init__(self, returncode: int, stdout: str, stderr: str, wall: float, rusage):
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr
        self.wall_seconds = wall
        self.cpu_seconds = rusage.ru_utime + rusage.ru_stime
        self.peak_rss_bytes = rusage.ru_maxrss * 1024  # Linux reports kilobytes

    def json_lines(self) -> list[str]:
        return [line for line in self.stdout.splitlines() if line.startswith("{")]


class Child:
    def __init__(self, command: list[str], cwd: str | None = None, env: dict | None = None):
        self.command = command
        self.cwd = cwd
        self.env = env
        self.process: subprocess.Popen | None = None
        self.started = 0.0
        self._out = self._err = None
        self._result: Result | None = None

    def start(self) -> "Child":
        # Closed in __exit__. Read with pread: the child shares the file offset, which must stay at the end.
        self._out = tempfile.TemporaryFile()  # noqa: SIM115
        self._err = tempfile.TemporaryFile()  # noqa: SIM115
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._out,
            stderr=self._err,
            start_new_session=True,
            preexec_fn=exit_with_parent(os.getpid()),
        )
        return self

    @property
    def pid(self) -> int:
        return self.process.pid

    @staticmethod
    def _read(handle) -> str:
        descriptor = handle.fileno()
        return os.pread(descriptor, os.fstat(descriptor).st_size, 0).decode(errors="replace")

    def output(self) -> str:
        """What the child has printed on stdout so far."""
        return self._read(self._out)

    def errors(self) -> str:
        return self._read(self._err)

    def _reap(self, block: bool) -> Result | None:
        if self._result is not None:
            return self._result
        pid, status, rusage = os.wait4(self.process.pid, 0 if block else os.WNOHANG)
        if pid == 0:
            return None
        self.process.returncode = os.waitstatus_to_exitcode(status)  # reaped here: Popen must not wait again
        self._result = Result(
            self.process.returncode, self.output(), self.errors(), time.monotonic() - self.started, rusage
        )
        return self._result

    def wait_for_line(self, text: str, timeout: float) -> str:
        """Wait until a line of stdout starts with ``text``; return it. The child's death or a timeout raises."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in self.output().splitlines():
                if line.startswith(text):
                    return line
            if self._reap(block=False) is not None:
                raise RuntimeError(f"{self._name()} exited with code {self._result.returncode}:\n{self._tail()}")
            time.sleep(POLL_SECONDS)
        self.stop()
        raise ChildTimeout(f"{self._name()} did not print {text!r} within {timeout:g} s:\n{self._tail()}")

    def wait(self, timeout: float) -> Result:
        """Wait for the child to exit; past ``timeout`` it is stopped and ChildTimeout is raised."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = self._reap(block=False)
            if result is not None:
                return result
            time.sleep(POLL_SECONDS)
        self.stop()
        raise ChildTimeout(f"{self._name()} did not finish within {timeout:g} s:\n{self._tail()}")

    def signal(self, number: int) -> None:
        if self._result is None:
            self.process.send_signal(number)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after a grace period; reap it. Safe to call at any time."""
        if self.process is None or self._result is not None:
            return
        try:
            self.process.terminate()
            deadline = time.monotonic() + STOP_GRACE_SECONDS
            while time.monotonic() < deadline:
                if self._reap(block=False) is not None:
                    return
                time.sleep(POLL_SECONDS)
            self.process.kill()
            self._reap(block=True)
        except ChildProcessError:  # already reaped elsewhere
            pass

    def _name(self) -> str:
        return " ".join(self.command[:6]) + (" ..." if len(self.command) > 6 else "")

    def _tail(self) -> str:
        return self.errors()[-2000:] or self.output()[-2000:]

    def __enter__(self) -> "Child":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()
        for handle in (self._out, self._err):
            if handle is not None:
                handle.close()


def run(command: list[str], timeout: float, cwd: str | None = None) -> Result:
    """Run a command to its end, measured; raise ChildTimeout (having stopped it) past ``timeout``."""
    with Child(command, cwd=cwd) as child:
        return child.wait(timeout)

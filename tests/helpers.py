"""Small helpers shared by tests that run real processes."""

import re
import socket

import gevent
import psutil

# A rule no real server meets: every request takes longer than 2 ms on average (critical).
IMPOSSIBLE_RULE = '[[rule]]\nname = "fast"\nmetric = "avg_response_ms"\nwarning = 1\ncritical = 2\n'
SERVER_STARTED = re.compile(r"Started the reference Context Server at (\S+) \(pid (\d+)\)")


def is_running(pid: int) -> bool:
    """True while ``pid`` is a live process (a zombie waiting to be reaped counts as gone)."""
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def embedded_server_pid(log: str) -> int | None:
    match = SERVER_STARTED.search(log)
    return int(match.group(2)) if match else None


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check, seconds: float = 10.0):
    """Poll ``check()`` until it returns something true, and return that; fail after ``seconds``."""
    with gevent.Timeout(seconds, AssertionError(f"not within {seconds} s: {check}")):
        while not (result := check()):
            gevent.sleep(0.1)
    return result

"""Small helpers shared by tests that run real processes."""

import re

import psutil

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

"""psutil sampling of the three things a run can run out of: the generator, the target, the system.

Usage::

    generator = ProcessProbe(os.getpid())
    target = ProcessProbe(pid)             # the reference server, or --target-pid
    generator.sample()   # {"pid": 123, "cpu_percent": 41.0, "memory_mb": 88.1, "threads": 4} or None
    system_sample()      # {"cpu_percent": 35.2, "memory_percent": 41.0, "memory_used_mb": 9800.0, "load1": 0.7}

CPU percentages are psutil's: since the previous sample, 100 = one whole core. A process that
is gone samples as None (its figures are absent, never zero).
"""

import os

import psutil

MB = 1024 * 1024


class ProcessProbe:
    """One process's CPU and memory; ``sample()`` is None once the process is gone."""

    def __init__(self, pid: int):
        self.pid = pid
        try:
            self._process = psutil.Process(pid)
            self._process.cpu_percent(None)  # the first call only starts psutil's measuring interval
        except psutil.Error:
            self._process = None

    def sample(self) -> dict | None:
        if self._process is None:
            return None
        try:
            with self._process.oneshot():
                return {
                    "pid": self.pid,
                    "cpu_percent": round(self._process.cpu_percent(None), 1),
                    "memory_mb": round(self._process.memory_info().rss / MB, 1),
                    "threads": self._process.num_threads(),
                }
        except psutil.Error:  # exited, or no longer ours to read
            self._process = None
            return None


def system_sample() -> dict:
    memory = psutil.virtual_memory()
    return {
        "cpu_percent": round(psutil.cpu_percent(None), 1),
        "memory_percent": round(memory.percent, 1),
        "memory_used_mb": round((memory.total - memory.available) / MB, 1),
        "load1": round(os.getloadavg()[0], 2),
    }

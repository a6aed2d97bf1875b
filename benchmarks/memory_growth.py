"""``python -m benchmarks memory-growth``: the reports' leak figure against a plain /proc sampler.

The reference server keeps every write in its history up to ``--history-limit``; with the limit out of reach its
memory grows with the writes, steadily: a leak by construction. ctxload's ``ContextWriter`` users load it for
``--minutes`` with ``--monitor-export``; meanwhile this script reads the server's resident memory from
``/proc/PID/statm`` every 2 s (no psutil, no ctxload code). Then both slopes over the same part of the run (after
its first 20%, as ``reports.monitor_trends`` leaves out): the reports' Theil-Sen figure from the export, and an
ordinary least-squares line through the raw samples (``numpy.polyfit``)::

    python -m benchmarks memory-growth                 # 14 minutes, 10 users
    python -m benchmarks memory-growth --minutes 3     # a smoke run: too short for a verdict, slopes still shown

Prints both figures, their ratio and the verdict, then one JSON line.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.arguments import positive
from refserver.launcher import ReferenceServer
from reports.monitor_trends import SETTLE_SHARE, memory_growth

PROJECT_ROOT = Path(__file__).resolve().parents[1]
PAGE = os.sysconf("SC_PAGE_SIZE")


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks memory-growth", description=__doc__.split("\n")[0])
    parser.add_argument("--minutes", type=positive(), default=14.0, help="length of the run (default 14)")
    parser.add_argument("--users", type=int, default=10, help="ContextWriter users (default 10)")
    return parser.parse_args(argv)


def sample(pid: int, stop: threading.Event, samples: list) -> None:
    """(monotonic seconds, resident MB) every 2 s, from /proc: independent of psutil and of the monitor."""
    while not stop.is_set():
        try:
            resident_pages = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            return
        samples.append((time.monotonic(), resident_pages * PAGE / 1e6))
        stop.wait(2.0)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="ctxload-bench-") as workdir, ReferenceServer(
        "--history-limit", "100000000"
    ) as server:  # fmt: skip
        prefix = str(Path(workdir) / "soak")
        samples: list = []
        stop = threading.Event()
        sampler = threading.Thread(target=sample, args=(server.pid, stop, samples), daemon=True)
        command = [
            sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "locustfile.py"), "--headless",
            "-u", str(args.users), "-r", str(args.users), "-t", f"{int(args.minutes * 60)}s", "--host", server.url,
            "--target-pid", str(server.pid), "--monitor-export", prefix, "--monitor-interval", "2",
            "--only-summary", "ContextWriter",
        ]  # fmt: skip
        started = time.monotonic()
        sampler.start()
        limit = args.minutes * 60 + 300
        finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=limit)
        ended = time.monotonic()
        stop.set()
        sampler.join()
        if finished.returncode not in (0, 1):
            print(finished.stderr[-2000:], file=sys.stderr)
            return finished.returncode
        rows = pd.read_csv(f"{prefix}_monitor.csv")
    growth = memory_growth(rows)
    times = np.array([t for t, _ in samples]) - started
    memory = np.array([m for _, m in samples])
    settled = times >= SETTLE_SHARE * (ended - started)
    ols_per_hour = float(np.polyfit(times[settled], memory[settled], 1)[0] * 3600)
    ratio = growth.per_hour_mb / ols_per_hour if ols_per_hour else float("nan")
    print(growth.text)
    print(f"independent (/proc/{server.pid}/statm every 2 s, least squares): {ols_per_hour:+.1f} MB/h")
    print(f"reports / independent: {ratio:.3f}")
    print(json.dumps({"minutes": args.minutes, "users": args.users, "reports_mb_per_hour": round(growth.per_hour_mb, 2),
                      "interval": [round(growth.low_mb, 2), round(growth.high_mb, 2)], "verdict": growth.verdict,
                      "independent_mb_per_hour": round(ols_per_hour, 2), "ratio": round(ratio, 4),
                      "samples": int(settled.sum())}))  # fmt: skip
    return 0

"""``python -m benchmarks ws-sessions``: memory and CPU of idle subscribed Socket.IO sessions.

For each size (``--sessions 1000,5000,10000``) a fresh generator process opens that many
sessions against one reference server, lets them idle, and reports RSS per session and CPU:

* ``ctxload``: ``users.ws_session.SocketIOSession``, connected and registered, as the
  ``SocketIOSubscriber`` user holds it;
* ``raw``: bare websocket-client connections that do the Socket.IO handshake and answer pings
  on a greenlet each (the least an idle subscriber can do), the baseline.

The generator and the server are pinned to different CPUs when ``taskset`` exists. Options:
``--sessions``, ``--idle`` (seconds of idle CPU measurement, default 20).
"""

import argparse
import json
import os
import shutil
import subprocess
import sys

from target.launcher import ReferenceServer

CHILD = r"""
import gevent.monkey; gevent.monkey.patch_all()
import gc, json, sys, time
import gevent, psutil, websocket
from gevent.pool import Pool

kind, count, url, idle = sys.argv[1], int(sys.argv[2]), sys.argv[3], float(sys.argv[4])
process = psutil.Process()
keep = []

def raw_session():
    ws = websocket.create_connection(url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
                                     timeout=60, enable_multithread=True, skip_utf8_validation=True)
    ws.recv()
    ws.send("40")
    def read():
        while True:
            if ws.recv() == "2":
                ws.send("3")
    keep.append((ws, gevent.spawn(read)))

def ctxload_session(index):
    from locust.env import Environment
    from users.delivery import push_ledger_for
    from users.ws_session import SocketIOSession
    environment = ENVIRONMENT
    session = SocketIOSession(environment, url, index, push_ledger_for(environment), name=f"s{index}", reply_timeout=60)
    if session.connect():
        session.register()
        keep.append(session)

if kind == "ctxload":
    from locust.env import Environment
    from locust.event import Events
    ENVIRONMENT = Environment(events=Events())
    import users.ws_session  # import cost is not per session
gc.collect()
before = process.memory_info().rss
started = time.monotonic()
pool = Pool(200)
for index in range(count):
    pool.spawn(raw_session if kind == "raw" else ctxload_session, *(() if kind == "raw" else (index,)))
pool.join()
connect_seconds = time.monotonic() - started
gevent.sleep(3)
gc.collect()
rss = process.memory_info().rss
cpu_before = sum(process.cpu_times()[:2])
gevent.sleep(idle)
cpu = (sum(process.cpu_times()[:2]) - cpu_before) / idle * 100
per_session_kb = (rss - before) / max(1, len(keep)) / 1024
print(json.dumps({"kind": kind, "sessions": len(keep), "asked": count, "rss_per_session_kb": per_session_kb,
                  "idle_cpu_percent": cpu, "connect_seconds": connect_seconds}))
"""


def _pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if shutil.which("taskset") and (os.cpu_count() or 1) >= 2 else []


def measure(kind: str, count: int, url: str, idle: float) -> dict:
    result = subprocess.run(
        [*_pinned(1), sys.executable, "-c", CHILD, kind, str(count), url, str(idle)],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=os.getcwd(),
    )
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(f"{kind} x {count} failed:\n{result.stderr[-2000:]}")
    return json.loads(lines[-1])


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks ws-sessions",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--sessions", default="1000,5000,10000", help="comma-separated sizes (default 1000,5000,10000)")
    parser.add_argument("--idle", type=float, default=20.0, help="seconds of idle CPU measurement (default 20)")
    args = parser.parse_args(argv)
    try:
        sizes = [int(size) for size in args.sessions.split(",")]
    except ValueError:
        parser.error(f"--sessions: expected comma-separated whole numbers, got {args.sessions!r}")
    rows = []
    with ReferenceServer() as server:
        if _pinned(0):
            import psutil

            psutil.Process(server.pid).cpu_affinity([0])
        print(f"{'kind':<8} {'sessions':>8} {'KB/session':>11} {'idle CPU':>9} {'connect s':>10}")
        for size in sizes:
            for kind in ("raw", "ctxload"):
                row = measure(kind, size, server.url, args.idle)
                rows.append(row)
                print(
                    f"{kind:<8} {row['sessions']:>8} {row['rss_per_session_kb']:>11.1f} "
                    f"{row['idle_cpu_percent']:>8.1f}% {row['connect_seconds']:>10.1f}"
                )
    by_size = {}
    for row in rows:
        by_size.setdefault(row["asked"], {})[row["kind"]] = row
    ratios = {
        size: round(kinds["ctxload"]["rss_per_session_kb"] / kinds["raw"]["rss_per_session_kb"], 2)
        for size, kinds in by_size.items()
    }
    print("\nRSS ratio ctxload/raw: " + ", ".join(f"{size}: {ratio}x" for size, ratio in ratios.items()))
    print(json.dumps({"benchmark": "ws-sessions", "rows": rows, "rss_ratio": ratios}))
    return 0

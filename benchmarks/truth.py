"""``python -m benchmarks truth``: do ctxload's figures agree with an independent measurement of the same server?

On one server at the same time: the suite (``locust`` with ctxload's locustfile: SocketIOSubscribers, writers and
readers) and ``benchmarks.truth_probe`` (no ctxload code: raw websocket-client subscribers, an ``http.client``
writer and reader on threads). Each times its own writes' pushes from the write's send to the receipt, and its
own GETs. Printed side by side, per server:

* the reference server (``refserver``), which pushes right after it answers;
* ``benchmarks.production_imitation``, which broadcasts *before* it answers the writer, as production does (a push
  latency timed from the writer's acknowledgement would read 0 there).

The suite's GET figures are Locust's (whole milliseconds below 100 ms); its push figures are its own
HdrHistograms (``PREFIX_push_stats.csv``). Goal: the suite's push p50 and p95 and GET p50 within 10% or 1 ms of
the probe's::

    python -m benchmarks truth                      # both servers, 60 s each, 8 users of the suite
    python -m benchmarks truth --seconds 30 --servers reference
"""

import csv
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.arguments import OneLineParser, positive
from benchmarks.child_processes import Child, pinned
from refserver.launcher import PROJECT_ROOT

SERVERS = {
    "reference": [sys.executable, "-m", "refserver", "--port", "0"],
    "production-like": [sys.executable, "-m", "benchmarks.production_imitation", "--port", "0"],
}
SUITE_USERS = ("SocketIOSubscriber", "ContextWriter", "ContextReader")
READY = "ctxload target listening on "


def _row(path: Path, name: str) -> dict:
    with open(path, newline="") as handle:
        for row in csv.DictReader(handle):
            if row["Name"] == name:
                return {"p50": float(row["50%"]), "p95": float(row["95%"]), "p99": float(row["99%"]),
                        "n": int(row["Request Count"])}  # fmt: skip
    return {}


def measure(server: str, seconds: float, users: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="ctxload-truth-") as directory:
        folder = Path(directory)
        # The server on a core of its own, the two clients sharing the other: what one suffers, so does the other.
        command = [*pinned(1), *SERVERS[server], "--dump-dir", str(folder / "dumps")]
        target = subprocess.Popen(
            command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        try:
            url = target.stdout.readline().removeprefix(READY).strip()
            prefix = folder / "suite"
            suite = Child([*pinned(0), sys.executable, "-m", "locust", "--headless", "-u", str(users), "-r", str(users),
                           "-t", f"{seconds + 4:g}s", "--host", url, "--csv", str(prefix), "--only-summary",
                           "--stop-timeout", "5", *SUITE_USERS], cwd=str(PROJECT_ROOT))  # fmt: skip
            with suite:
                time.sleep(2)  # the suite's sessions are up before the probe's writes start
                probe = subprocess.run([*pinned(0), sys.executable, "-m", "benchmarks.truth_probe", url, "--seconds",
                                        f"{seconds:g}"], cwd=PROJECT_ROOT, capture_output=True, text=True,
                                       timeout=seconds + 120)  # fmt: skip
                suite.wait(timeout=seconds + 180)
            independent = json.loads(probe.stdout.strip().splitlines()[-1])
            return {
                "server": server,
                "probe": independent,
                "suite": {"get_ms": _row(Path(f"{prefix}_stats.csv"), "GET /ctx"),
                          "push_ms": _row(Path(f"{prefix}_push_stats.csv"), "push context_updated")},
            }  # fmt: skip
        finally:
            target.terminate()
            target.wait(10)
            target.stdout.close()


def agrees(suite: float, probe: float) -> bool:
    return abs(suite - probe) <= max(1.0, 0.10 * probe)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks truth", description=__doc__)
    parser.add_argument("--seconds", type=positive(float, minimum=5, inclusive=True), default=60.0)
    parser.add_argument("--users", type=positive(int, minimum=3, inclusive=True), default=8)
    parser.add_argument("--servers", default=",".join(SERVERS), help=f"comma-separated: {', '.join(SERVERS)}")
    args = parser.parse_args(argv)
    servers = [name.strip() for name in args.servers.split(",") if name.strip()]
    if not servers or any(name not in SERVERS for name in servers):
        parser.error(f"--servers: expected some of {', '.join(SERVERS)}, got {args.servers!r}")
    results = [measure(server, args.seconds, args.users) for server in servers]
    print(f"{'server':16} {'figure':10} {'probe p50/p95/p99 ms':>26} {'suite p50/p95/p99 ms':>26}  ratio p50, p95")
    for result in results:
        for figure in ("get_ms", "push_ms"):
            probe, suite = result["probe"][figure], result["suite"][figure]
            if not probe.get("p50") or not suite.get("p50"):
                print(f"{result['server']:16} {figure:10} no data (probe {probe}, suite {suite})")
                continue
            checks = [agrees(suite["p50"], probe["p50"])] + (
                [agrees(suite["p95"], probe["p95"])] if figure == "push_ms" else []
            )
            print(
                f"{result['server']:16} {figure:10} {probe['p50']:8.2f}/{probe['p95']:7.2f}/{probe['p99']:7.2f} "
                f"{suite['p50']:10.2f}/{suite['p95']:7.2f}/{suite['p99']:7.2f}  "
                f"{suite['p50'] / probe['p50']:.2f}, {suite['p95'] / probe['p95']:.2f}  "
                f"{'agrees' if all(checks) else 'DIFFERS'} (n {probe['n']} / {suite['n']})"
            )
    print(json.dumps({"benchmark": "truth", "seconds": args.seconds, "users": args.users, "results": results}))
    return 0

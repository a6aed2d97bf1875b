"""``python -m benchmarks ws-sessions``: idle Socket.IO sessions' memory and CPU, and push fan-out throughput.

Two kinds of session, each in a fresh generator process (``benchmarks.ws_generator``) against one
reference server:

* ``ctxload``: ``traffic.ws_session.SocketIOSession``, connected and registered, as the
  ``SocketIOSubscriber`` user holds it; its pushes go through the push ledger and its figures
  (HdrHistograms), as in a run;
* ``raw``: bare websocket-client connections that do the Socket.IO handshake and answer pings
  on a greenlet each (the least an idle subscriber can do), the baseline.

**Idle** (``--sessions 1000,5000,10000``): the sessions connect, idle, and the table gives RSS
growth per session and the CPU while idle (``--idle`` seconds); goal: ctxload at most 2x raw.

**Fan-out** (``--fanout 100,500,1000`` subscribers): once they are connected, one HTTP writer in the
same process (as a ctxload writer user shares its process with the subscribers) posts ``/ctx`` at
``--rate`` writes a second (0: each write as soon as the previous one is acknowledged) for
``--fanout-seconds``, and every write is pushed to every session (a writer held up by a busy
server falls short of the rate: the writes/s column says what it achieved). The table gives the pushes
delivered per second across all sessions, whether all arrived (within ``--drain`` seconds after the
last write), their latency from the write's sending to the receipt (p50/p95/p99), the generator's
CPU and its CPU time per push (the writer's included: one request per N pushes), and the server's
CPU, which say which side was the limit. Since raw sessions only decode the JSON, the difference is
what ctxload's session, push ledger and figures cost per push.

The generator runs on CPU 1 and the server on CPU 0 (``taskset``, with 2+ CPUs). Traffic stays on
127.0.0.1. An empty size list skips that part::

    python -m benchmarks ws-sessions                                   # both parts, full sizes
    python -m benchmarks ws-sessions --sessions 200 --idle 3 --fanout 50 --fanout-seconds 3   # a smoke run
    python -m benchmarks ws-sessions --sessions '' --fanout 100,500,1000 --rate 0            # fan-out flat out
"""

import datetime
import json
import os
import sys
import time

import psutil

from benchmarks.arguments import OneLineParser, number_list, positive
from benchmarks.child_processes import Child, pin_process, pinned
from refserver.launcher import PROJECT_ROOT, ReferenceServer

RSS_GOAL = 2.0
KINDS = ("raw", "ctxload")


def _generator(mode: str, kind: str, count: int, url: str, *options: str) -> list[str]:
    return [*pinned(1), sys.executable, "-m", "benchmarks.ws_generator", mode, kind, str(count), url, *options]


def _last_json(child: Child, result) -> dict:
    lines = result.json_lines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"{' '.join(child.command)} failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    return json.loads(lines[-1])


def measure_idle(kind: str, count: int, url: str, idle: float, timeout: float) -> dict:
    with Child(_generator("idle", kind, count, url, "--idle", str(idle)), cwd=str(PROJECT_ROOT)) as child:
        return _last_json(child, child.wait(timeout))


def measure_fanout(kind: str, count: int, url: str, server: psutil.Process, args) -> dict:
    options = ("--rate", str(args.rate), "--seconds", str(args.fanout_seconds), "--drain", str(args.drain))
    with Child(_generator("fanout", kind, count, url, *options), cwd=str(PROJECT_ROOT)) as child:
        child.wait_for_line("writing", args.timeout)
        server_before, started = server.cpu_times(), time.monotonic()
        result = child.wait(args.timeout)
        server_after, elapsed = server.cpu_times(), time.monotonic() - started
    row = _last_json(child, result)
    server_seconds = (server_after.user + server_after.system) - (server_before.user + server_before.system)
    row["server_cpu_percent"] = round(server_seconds / elapsed * 100, 1)
    return row


def _ratio(numerator, denominator):
    return round(numerator / denominator, 2) if numerator is not None and denominator else None


def run_idle(sizes: list[int], url: str, args) -> tuple[list[dict], dict]:
    rows = []
    print(f"{'kind':<8} {'sessions':>8} {'KB/session':>11} {'idle CPU':>9} {'connect s':>10}")
    for size in sizes:
        for kind in KINDS:
            row = measure_idle(kind, size, url, args.idle, args.timeout)
            rows.append(row)
            print(
                f"{kind:<8} {row['sessions']:>8} {row['rss_per_session_kb']:>11.1f} "
                f"{row['idle_cpu_percent']:>8.1f}% {row['connect_seconds']:>10.1f}"
            )
    by_size: dict = {}
    for row in rows:
        by_size.setdefault(row["asked"], {})[row["kind"]] = row
    ratios = {
        size: _ratio(kinds["ctxload"]["rss_per_session_kb"], kinds["raw"]["rss_per_session_kb"])
        for size, kinds in by_size.items()
    }
    met = all(ratio is not None and ratio <= RSS_GOAL for ratio in ratios.values())
    print(
        "\nRSS ratio ctxload/raw: "
        + ", ".join(f"{size}: {ratio}x" for size, ratio in ratios.items())
        + f" (goal <= {RSS_GOAL:g}x: {'met' if met else 'NOT met'})\n"
    )
    return rows, {"rss_ratio": ratios, "rss_goal_met": met}


def _ms(value) -> str:
    return "-" if value is None else f"{value:.0f}" if value >= 10 else f"{value:.1f}"


def run_fanout(sizes: list[int], url: str, server: psutil.Process, args) -> tuple[list[dict], dict]:
    rows = []
    rate = f"{args.rate:g} writes/s" if args.rate else "writes back to back"
    print(f"Push fan-out: one HTTP writer, {rate} for {args.fanout_seconds:g} s, each write pushed to every session")
    print(
        f"{'kind':<8} {'sessions':>8} {'writes/s':>9} {'pushes/s':>9} {'delivered':>21} {'p50 ms':>7} {'p95 ms':>7} "
        f"{'p99 ms':>7} {'gen CPU':>8} {'us/push':>8} {'server CPU':>11}"
    )
    for size in sizes:
        for kind in KINDS:
            row = measure_fanout(kind, size, url, server, args)
            rows.append(row)
            delivered = f"{row['pushes_received']}/{row['pushes_expected']}" + (
                " all" if row["all_delivered"] else " LOST"
            )
            latency = row["latency_ms"]
            print(
                f"{kind:<8} {row['sessions']:>8} {row['writes_per_second']:>9.1f} {row['pushes_per_second']:>9.0f} "
                f"{delivered:>21} {_ms(latency['p50']):>7} {_ms(latency['p95']):>7} {_ms(latency['p99']):>7} "
                f"{row['generator_cpu_percent']:>7.0f}% {row['cpu_us_per_push'] or 0:>8.1f} "
                f"{row['server_cpu_percent']:>10.0f}%"
            )
    by_size: dict = {}
    for row in rows:
        by_size.setdefault(row["asked"], {})[row["kind"]] = row
    summary = {
        size: {
            "pushes_per_second_ratio": _ratio(kinds["ctxload"]["pushes_per_second"], kinds["raw"]["pushes_per_second"]),
            "cpu_per_push_ratio": _ratio(kinds["ctxload"]["cpu_us_per_push"], kinds["raw"]["cpu_us_per_push"]),
        }
        for size, kinds in by_size.items()
    }
    print(
        "\nctxload/raw per push: "
        + ", ".join(
            f"{size}: {ratios['pushes_per_second_ratio']}x pushes/s, {ratios['cpu_per_push_ratio']}x CPU"
            for size, ratios in summary.items()
        )
    )
    return rows, summary


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m benchmarks ws-sessions", description=__doc__)
    sizes = number_list(int, minimum=1, allow_empty=True)
    parser.add_argument(
        "--sessions", type=sizes, default="1000,5000,10000", help="idle sizes (default 1000,5000,10000; '' skips)"
    )
    parser.add_argument("--idle", type=positive(float), default=20.0, help="seconds of idle CPU measurement (20)")
    parser.add_argument("--fanout", type=sizes, default="100,500,1000", help="subscribers (default 100,500,1000)")
    parser.add_argument(
        "--rate",
        type=positive(float, maximum=10_000, inclusive=True),
        default=20.0,
        help="writes a second during fan-out (default 20; 0: back to back)",
    )
    parser.add_argument("--fanout-seconds", type=positive(float, maximum=600), default=10.0, help="writing time (10)")
    parser.add_argument(
        "--drain", type=positive(float, maximum=600), default=15.0, help="wait for late pushes at most (15 s)"
    )
    parser.add_argument(
        "--timeout", type=positive(float), default=900.0, help="a generator process is stopped after (900 s)"
    )
    args = parser.parse_args(argv)
    if not args.sessions and not args.fanout:
        parser.error("nothing to measure: --sessions and --fanout are both empty")

    summary: dict = {"benchmark": "ws-sessions", "date": datetime.date.today().isoformat(), "cpus": os.cpu_count()}
    rows: list[dict] = []
    with ReferenceServer() as server:
        pin_process(server.pid, 0)
        server_process = psutil.Process(server.pid)
        if args.sessions:
            rows, idle_summary = run_idle(args.sessions, server.url, args)
            summary.update(idle_summary)
        if args.fanout:
            fanout_rows, fanout_summary = run_fanout(args.fanout, server.url, server_process, args)
            summary.update(
                fanout_rate=args.rate,
                fanout_seconds=args.fanout_seconds,
                fanout_rows=fanout_rows,
                fanout=fanout_summary,
                fanout_all_delivered=all(row["all_delivered"] for row in fanout_rows),
            )
    summary["rows"] = rows
    print(json.dumps(summary))
    return 0

"""The generator process of the WebSocket benchmarks: many Socket.IO sessions in one gevent process.

Started as a child by ``benchmarks.ws_sessions`` and ``benchmarks.target_throughput`` (never imported
by them: it monkey-patches with gevent on import); it prints one JSON line at the end::

    python -m benchmarks.ws_generator idle KIND COUNT URL --idle SECONDS
    python -m benchmarks.ws_generator fanout KIND COUNT URL --rate WRITES_PER_S --seconds S --drain S
    python -m benchmarks.ws_generator listen COUNT URL --max-seconds S     # SIGUSR1: the writes are over

Sessions (KIND):

* ``ctxload``: ``traffic.ws_session.SocketIOSession``, connected and registered, as the
  ``SocketIOSubscriber`` user holds it; in ``fanout`` its pushes go through the push ledger and into
  Locust's request statistics, as in a run;
* ``raw``: a bare websocket-client connection that does the Socket.IO handshake and answers pings
  on a greenlet of its own (the least an idle subscriber can do); in ``fanout`` it decodes each
  ``context_updated`` frame's JSON to time it, nothing more.

``idle``: RSS per session and CPU while idle. ``fanout``: one HTTP writer in this process (as a
ctxload writer user shares its process with the subscribers) posts ``/ctx`` at a steady rate (0: as
fast as the acknowledgements come) over 20 keys, for ``--seconds``; then pushes are awaited at most
``--drain`` seconds. Each push's latency runs from the moment its write was sent (carried in the
value) to its receipt. ``listen``: raw sessions that only count ``context_updated`` frames, while
another process writes; after SIGUSR1 they wait for the last pushes (1 s of silence, at most 15 s).

Layout: ``ws_connect`` (opening the sessions), ``ws_raw_client`` and ``ws_ctxload_client`` (the two KINDs),
``ws_fanout`` (the writer and the receipts); this module measures and prints the result.
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
from gevent.event import Event  # noqa: E402

from benchmarks.ws_connect import connect_all  # noqa: E402
from benchmarks.ws_fanout import Receipts, Writer  # noqa: E402
from benchmarks.ws_raw_client import RawFanout, RawSession  # noqa: E402

SETTLE_SECONDS = 1.5  # > the push ledger's join grace: every session is expected to hear every write
QUIET_SECONDS = 1.0
LISTEN_DRAIN_MAX = 15.0

process = psutil.Process()


def cpu_seconds() -> float:
    times = process.cpu_times()
    return times.user + times.system


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def at(fraction: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] * 1000, 1)

    return {"p50": at(0.5), "p95": at(0.95), "p99": at(0.99), "max": round(ordered[-1] * 1000, 1)}


def run_idle(args) -> dict:
    if args.kind == "ctxload":
        from benchmarks.ws_ctxload_client import ctxload_environment, ctxload_maker

        environment = ctxload_environment()
        make = ctxload_maker(args.url, environment)
    else:

        def make(_index: int):
            return RawSession(args.url)

    gc.collect()
    before = process.memory_info().rss
    sessions, connect_seconds = connect_all(args.count, make)
    gevent.sleep(3)
    gc.collect()
    rss = process.memory_info().rss
    cpu_before = cpu_seconds()
    gevent.sleep(args.idle)
    cpu = (cpu_seconds() - cpu_before) / args.idle * 100
    return {
        "kind": args.kind,
        "sessions": len(sessions),
        "asked": args.count,
        "rss_per_session_kb": round((rss - before) / max(1, len(sessions)) / 1024, 2),
        "idle_cpu_percent": round(cpu, 2),
        "connect_seconds": round(connect_seconds, 2),
    }


def run_fanout(args) -> dict:
    receipts = Receipts()
    if args.kind == "ctxload":
        from benchmarks.ws_ctxload_client import CtxloadFanout

        fanout = CtxloadFanout(args.url, receipts)
    else:
        fanout = RawFanout(args.url, receipts)

    sessions, connect_seconds = connect_all(args.count, fanout.make)
    gevent.sleep(SETTLE_SECONDS)
    fanout.start()
    gc.collect()
    rss_before, cpu_before, started = process.memory_info().rss, cpu_seconds(), time.monotonic()
    writer = Writer(args.url, fanout.on_send, fanout.on_failed)
    print("writing", flush=True)  # the parent measures the server's CPU from here to the end
    first_sent = writer.run(args.rate, args.seconds)
    writing_seconds = time.monotonic() - started
    expected = writer.acked * len(sessions)
    drain_started = time.monotonic()
    quiet_since, seen = time.monotonic(), receipts.total
    while receipts.total < expected and time.monotonic() - drain_started < args.drain:
        gevent.sleep(0.1)
        if receipts.total != seen:
            quiet_since, seen = time.monotonic(), receipts.total
        elif time.monotonic() - quiet_since > max(2.0, QUIET_SECONDS):
            break  # nothing more is coming
    elapsed = time.monotonic() - started
    cpu = cpu_seconds() - cpu_before
    rss_after = process.memory_info().rss
    window = max(1e-6, receipts.last_at - first_sent) if receipts.total else None
    complete = sum(1 for session in range(args.count) if receipts.per_session.get(session, 0) >= writer.acked)
    result = {
        "kind": args.kind,
        "sessions": len(sessions),
        "asked": args.count,
        "still_connected": sum(1 for session in sessions if fanout.alive(session)),
        "connect_seconds": round(connect_seconds, 2),
        "rate_asked": args.rate,
        "writes_acked": writer.acked,
        "write_errors": writer.errors,
        "writes_per_second": round(writer.acked / writing_seconds, 1),
        "pushes_expected": expected,
        "pushes_received": receipts.total,
        "delivered_fraction": round(receipts.total / expected, 6) if expected else None,
        "all_delivered": bool(expected) and complete == len(sessions) and receipts.total == expected,
        "sessions_complete": complete,
        "pushes_per_second": round(receipts.total / window, 1) if window else 0.0,
        "latency_ms": percentiles(receipts.latencies),
        "generator_cpu_percent": round(cpu / elapsed * 100, 1),
        "cpu_us_per_push": round(cpu / receipts.total * 1e6, 1) if receipts.total else None,
        "rss_growth_mb": round((rss_after - rss_before) / 1e6, 1),
        "drain_seconds": round(time.monotonic() - drain_started, 2),
    }
    fanout.finish(result)
    return result


def run_listen(args) -> dict:
    times = {"first": 0.0, "last": 0.0}

    def on_push(_frame: str) -> None:
        now = time.time()
        times["first"] = times["first"] or now
        times["last"] = now

    sessions, _ = connect_all(args.count, lambda _index: RawSession(args.url, on_push))
    gevent.sleep(SETTLE_SECONDS)
    writes_over = Event()
    gevent.signal_handler(signal.SIGUSR1, writes_over.set)
    cpu_before, started = cpu_seconds(), time.monotonic()
    print("ready " + json.dumps({"sessions": len(sessions)}), flush=True)
    writes_over.wait(timeout=args.max_seconds)

    def received() -> int:
        return sum(session.pushes for session in sessions)

    drain_started, seen, quiet_since = time.monotonic(), received(), time.monotonic()
    while time.monotonic() - quiet_since < QUIET_SECONDS and time.monotonic() - drain_started < LISTEN_DRAIN_MAX:
        gevent.sleep(0.1)
        if received() != seen:
            seen, quiet_since = received(), time.monotonic()
    window = times["last"] - times["first"]
    counts = [session.pushes for session in sessions]
    return {
        "sessions": len(sessions),
        "still_connected": sum(1 for session in sessions if session.alive),
        "per_session_min": min(counts, default=0),
        "per_session_max": max(counts, default=0),
        "pushes_received": sum(counts),
        "window_seconds": round(window, 3),
        "pushes_per_second": round(sum(counts) / window, 1) if window > 0 else 0.0,
        "listener_cpu_percent": round((cpu_seconds() - cpu_before) / (time.monotonic() - started) * 100, 1),
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.ws_generator")
    modes = parser.add_subparsers(dest="mode", required=True)
    idle = modes.add_parser("idle")
    fanout = modes.add_parser("fanout")
    for command in (idle, fanout):
        command.add_argument("kind", choices=("raw", "ctxload"))
    listen = modes.add_parser("listen")
    for command in (idle, fanout, listen):
        command.add_argument("count", type=int)
        command.add_argument("url")
    idle.add_argument("--idle", type=float, default=20.0)
    fanout.add_argument("--rate", type=float, default=20.0)
    fanout.add_argument("--seconds", type=float, default=10.0)
    fanout.add_argument("--drain", type=float, default=10.0)
    listen.add_argument("--max-seconds", type=float, default=600.0)
    args = parser.parse_args(argv)
    run = {"idle": run_idle, "fanout": run_fanout, "listen": run_listen}[args.mode]
    print(json.dumps(run(args)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

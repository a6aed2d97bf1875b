"""The generator process of the WebSocket benchmarks: many Socket.IO sessions in one gevent process.

Started as a child by ``benchmarks.ws_sessions`` and ``benchmarks.target_throughput`` (never imported
by them: it monkey-patches with gevent on import); it prints one JSON line at the end::

    python -m benchmarks.ws_generator idle KIND COUNT URL --idle SECONDS
    python -m benchmarks.ws_generator fanout KIND COUNT URL --rate WRITES_PER_S --seconds S --drain S
    python -m benchmarks.ws_generator listen COUNT URL --max-seconds S     # SIGUSR1: the writes are over

Sessions (KIND):

* ``ctxload``: ``users.ws_session.SocketIOSession``, connected and registered, as the
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
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import gc  # noqa: E402
import http.client  # noqa: E402
import json  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from urllib.parse import urlsplit  # noqa: E402

import gevent  # noqa: E402
import psutil  # noqa: E402
import websocket  # noqa: E402
from gevent.event import Event  # noqa: E402
from gevent.pool import Pool  # noqa: E402

UPDATED = '42["context_updated"'
CONNECT_CONCURRENCY = 200
CONNECT_TIMEOUT = 60
SETTLE_SECONDS = 1.5  # > the push ledger's join grace: every session is expected to hear every write
WRITE_KEYS = 20
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


class RawSession:
    """Handshake, answer pings; count ``context_updated`` frames, and hand them to ``on_push`` if given."""

    __slots__ = ("ws", "on_push", "alive", "pushes", "reader")

    def __init__(self, url: str, on_push=None):
        self.on_push = on_push
        self.alive = False
        self.pushes = 0
        self.ws = websocket.create_connection(
            url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
            timeout=CONNECT_TIMEOUT,
            enable_multithread=True,
            skip_utf8_validation=True,
        )
        self.ws.recv()  # the Engine.IO open packet
        self.ws.send("40")
        self.alive = True
        self.reader = gevent.spawn(self.read)

    def read(self) -> None:
        ws, on_push = self.ws, self.on_push
        try:
            while True:
                frame = ws.recv()
                if frame == "2":
                    ws.send("3")
                elif frame.startswith(UPDATED):
                    self.pushes += 1
                    if on_push is not None:
                        on_push(frame)
        except Exception:  # closed, or silent past the socket timeout: this session is gone
            self.alive = False


def connect_all(count: int, make) -> tuple[list, float]:
    """Open ``count`` sessions, CONNECT_CONCURRENCY at a time; return those that connected."""
    sessions: list = []

    def one(index: int) -> None:
        try:
            session = make(index)
        except Exception:
            return
        if session is not None:
            sessions.append(session)

    started = time.monotonic()
    pool = Pool(CONNECT_CONCURRENCY)
    for index in range(count):
        pool.spawn(one, index)
    pool.join()
    return sessions, time.monotonic() - started


def ctxload_environment():
    from locust.env import Environment
    from locust.event import Events

    environment = Environment(events=Events())

    def on_request(request_type, name, response_time, response_length, exception=None, **_kwargs):
        environment.stats.log_request(request_type, name, response_time, response_length)  # as Locust's runner does
        if exception:
            environment.stats.log_error(request_type, name, exception)

    environment.events.request.add_listener(on_request)
    return environment


def ctxload_maker(url: str, environment, session_class=None):
    from users.delivery import push_ledger_for
    from users.ws_session import SocketIOSession

    session_class = session_class or SocketIOSession
    ledger = push_ledger_for(environment)

    def make(index: int):
        session = session_class(environment, url, index, ledger, name=f"s{index}", reply_timeout=CONNECT_TIMEOUT)
        if not session.connect():
            return None
        session.register()
        return session

    return make


def run_idle(args) -> dict:
    if args.kind == "ctxload":
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


class Receipts:
    """Pushes received by the sessions: count per session, latency from the write's sending."""

    def __init__(self):
        self.per_session: dict[int, int] = {}
        self.latencies: list[float] = []
        self.total = 0
        self.last_at = 0.0

    def note(self, session: int, value) -> None:
        now = time.time()
        if isinstance(value, dict) and isinstance(value.get("t"), float):
            self.latencies.append(now - value["t"])
        self.per_session[session] = self.per_session.get(session, 0) + 1
        self.total += 1
        self.last_at = now


class Writer:
    """One HTTP writer on a keep-alive connection: POST /ctx, steady rate or back to back."""

    def __init__(self, url: str, on_ack=None):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.on_ack = on_ack
        self.connection: http.client.HTTPConnection | None = None
        self.acked = 0
        self.errors = 0

    def post(self, number: int) -> None:
        key = f"fanout.{number % WRITE_KEYS}"
        sent = time.time()
        value = {"n": number, "t": sent}
        body = json.dumps({"key": key, "value": value, "who": "bench"})
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.connection.request("POST", "/ctx", body, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
            response.read()
        except Exception:
            self.errors += 1
            if self.connection is not None:
                self.connection.close()
            self.connection = None
            return
        if response.status != 200:
            self.errors += 1
            return
        self.acked += 1
        if self.on_ack is not None:
            self.on_ack(key, value, sent, time.time())

    def run(self, rate: float, seconds: float) -> float:
        """Write for ``seconds`` (a write falling due later, behind schedule, is not sent); return when the
        first write was sent (wall clock)."""
        started, first = time.monotonic(), time.time()
        end = started + seconds
        number = 0
        while True:
            due = started + number / rate if rate else time.monotonic()
            if due >= end or time.monotonic() >= end:
                break
            gevent.sleep(max(0.0, due - time.monotonic()))
            self.post(number)
            number += 1
        return first


def run_fanout(args) -> dict:
    receipts = Receipts()
    environment = ledger = None
    if args.kind == "ctxload":
        from users.delivery import expect_push, push_ledger_for, report_lost
        from users.ws_session import SocketIOSession

        class TimedSession(SocketIOSession):
            def _on_event(self, event, data, size):
                if event == "context_updated" and isinstance(data, dict):
                    receipts.note(self.index, data.get("value"))
                super()._on_event(event, data, size)

        environment = ctxload_environment()
        ledger = push_ledger_for(environment)
        make = ctxload_maker(args.url, environment, TimedSession)

        def on_ack(key, value, sent, acked):
            expect_push(environment, key, value, acked, sent_at=sent)

        def sweep():  # as users.delivery does in a run: settle writes past their deadline
            while True:
                gevent.sleep(0.5)
                report_lost(environment, ledger.expire(time.time()))

        def alive(session) -> bool:
            return session.connected
    else:
        on_ack = None

        def make(index: int):
            return RawSession(args.url, lambda frame: receipts.note(index, json.loads(frame[2:])[1].get("value")))

        def alive(session) -> bool:
            return session.alive

    sessions, connect_seconds = connect_all(args.count, make)
    gevent.sleep(SETTLE_SECONDS)
    sweeper = gevent.spawn(sweep) if ledger is not None else None
    gc.collect()
    rss_before, cpu_before, started = process.memory_info().rss, cpu_seconds(), time.monotonic()
    writer = Writer(args.url, on_ack)
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
        "still_connected": sum(1 for session in sessions if alive(session)),
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
    if ledger is not None:
        sweeper.kill()
        report_lost(environment, ledger.expire(time.time() + ledger.deadline + 1))  # settle every write
        entry = environment.stats.entries.get(("WS push context_updated", "WS"))
        result["ledger"] = vars(ledger.counts).copy()
        if entry is not None and entry.num_requests - entry.num_failures > 0:
            result["ledger_latency_ms"] = {
                f"p{round(p * 100)}": entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99)
            }
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

"""The two ends of the ``fanout`` benchmark that are the same for every KIND: the writer and the receipts.

Imported by ``benchmarks.ws_generator`` after gevent's monkey-patching::

    receipts = Receipts()                      # sessions call receipts.note(index, value) on each push
    writer = Writer(url, on_send, on_failed)   # handle = on_send(key, value) before each write; on_failed(handle)
    first_sent = writer.run(rate, seconds)     # POST /ctx over WRITE_KEYS keys; rate 0: back to back
    writer.acked, writer.errors, receipts.total, receipts.per_session, receipts.latencies

Each written value carries the time it was sent (``{"n": number, "t": sent}``): a push's latency runs from
there to its receipt.
"""

import http.client
import json
import time
from urllib.parse import urlsplit

import gevent

WRITE_KEYS = 20


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

    def __init__(self, url: str, on_send=None, on_failed=None):
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.on_send, self.on_failed = on_send, on_failed
        self.connection: http.client.HTTPConnection | None = None
        self.acked = 0
        self.errors = 0

    def post(self, number: int) -> None:
        key = f"fanout.{number % WRITE_KEYS}"
        sent = time.time()
        value = {"n": number, "t": sent}
        body = json.dumps({"key": key, "value": value, "who": "bench"})
        handle = self.on_send(key, value) if self.on_send is not None else None
        try:
            if self.connection is None:
                self.connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            self.connection.request("POST", "/ctx", body, {"Content-Type": "application/json"})
            response = self.connection.getresponse()
            response.read()
            ok = response.status == 200
        except Exception:
            if self.connection is not None:
                self.connection.close()
            self.connection, ok = None, False
        if ok:
            self.acked += 1
            return
        self.errors += 1
        if self.on_failed is not None:
            self.on_failed(handle)

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

"""An independent measurement of a Context Server: no ctxload code, no Locust, no gevent; stdlib threads.

``python -m benchmarks.truth_probe URL --seconds 30``: raw websocket-client subscribers (a Socket.IO handshake by
hand, pings answered) and one writer (``http.client``, one connection kept while the server keeps it, as Locust's
FastHttpUser does; the production server closes each) that writes ``--writes`` times a second and reads as
often. Push latency: from just before the write's request is sent to the moment a subscriber's thread has read
the push, ``time.perf_counter`` in one process. GET latency: the whole request (a connect included when the
server closed the last one). Prints one JSON line: {"get_ms": {p50, p95, p99, n}, "push_ms": {...}}.

It judges only its own writes (their values carry its token): the pushes of other clients' writes (a load test
running beside it) are read and ignored.
"""

import argparse
import http.client
import json
import secrets
import selectors
import statistics
import sys
import threading
import time
from urllib.parse import urlsplit

import websocket

UPDATED = '42["context_updated"'


def percentiles(values: list[float]) -> dict:
    if len(values) < 2:
        return {"n": len(values)}
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return {"p50": round(cuts[49], 3), "p95": round(cuts[94], 3), "p99": round(cuts[98], 3), "n": len(values)}


class Probe:
    def __init__(self, url: str, subscribers: int):
        self.url = url
        parts = urlsplit(url)
        self.host, self.port = parts.hostname, parts.port
        self.token = secrets.token_hex(6)
        self.sent: dict[int, float] = {}
        self.push_ms: list[float] = []
        self.get_ms: list[float] = []
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.connection: http.client.HTTPConnection | None = None
        self.sockets = [self.subscribe() for _ in range(subscribers)]
        # One thread reads every subscriber (a selector), and the interpreter switches threads every 0.1 ms, not
        # 5: with a thread per subscriber, the 5-ms switch interval alone delays pushes by milliseconds.
        sys.setswitchinterval(0.0001)
        self.reader = threading.Thread(target=self.listen, daemon=True)
        self.reader.start()

    def subscribe(self) -> websocket.WebSocket:
        ws = websocket.create_connection(
            self.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket", timeout=30
        )
        ws.recv()  # the Engine.IO open packet
        ws.send("40")
        return ws

    def listen(self) -> None:
        selector = selectors.DefaultSelector()
        for ws in self.sockets:
            selector.register(ws.sock, selectors.EVENT_READ, ws)
        while not self.stop.is_set():
            for key, _events in selector.select(timeout=0.2):
                try:
                    self.handle(key.data, key.data.recv())
                except Exception:  # closed at the end
                    selector.unregister(key.fileobj)

    def handle(self, ws, frame: str) -> None:
        received = time.perf_counter()
        if frame == "2":
            ws.send("3")
        elif frame.startswith(UPDATED):
            value = json.loads(frame[2:])[1].get("value")
            if isinstance(value, dict) and value.get("probe") == self.token:
                with self.lock:
                    sent = self.sent.get(value["n"])
                if sent is not None:
                    self.push_ms.append((received - sent) * 1000)

    def request(self, method: str, path: str, body: str | None = None) -> int:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=30)
        headers = {"Content-Type": "application/json"} if body else {}
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            self.connection = None
            return 0
        if response.will_close:
            self.connection.close()
            self.connection = None
        return response.status

    def run(self, seconds: float, writes_per_second: float) -> dict:
        started = time.perf_counter()
        number = 0
        while time.perf_counter() - started < seconds:
            due = started + number / writes_per_second
            time.sleep(max(0.0, due - time.perf_counter()))
            key = f"truthprobe.{self.token}.{number % 20}"
            body = json.dumps({"key": key, "value": {"probe": self.token, "n": number}, "who": "truth-probe"})
            with self.lock:
                self.sent[number] = time.perf_counter()
            self.request("POST", "/ctx", body)
            before = time.perf_counter()
            if self.request("GET", f"/ctx?key={key}") == 200:
                self.get_ms.append((time.perf_counter() - before) * 1000)
            number += 1
        time.sleep(1.0)  # the last pushes
        self.stop.set()
        for ws in self.sockets:
            ws.close()
        return {"get_ms": percentiles(self.get_ms), "push_ms": percentiles(self.push_ms), "writes": number,
                "subscribers": len(self.sockets)}  # fmt: skip


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.truth_probe", description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--writes", type=float, default=10.0, help="writes (and reads) per second")
    parser.add_argument("--subscribers", type=int, default=5)
    args = parser.parse_args(argv)
    print(json.dumps(Probe(args.url, args.subscribers).run(args.seconds, args.writes)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""A normal client's latency while the reference server holds 2,000 idle and 200 slow-header connections.

    python -m benchmarks server-limits [--idle 2000] [--slow 200] [--requests 200]

Each round times ``GET /ctx/all`` from a plain ``http.client`` connection (a new one per request, from the
connect to the last byte of the body), first with nothing else open, then with the idle connections
(connected, never sending) and the slow-header ones (one header byte every 0.25 s) open. Printed: p50,
p99 and max in ms for both, their ratio, and the slowest request, which the goal says must stay under 1 s.
The server runs with ``--header-timeout 30`` so that no connection is closed during the measurement.
"""

import http.client
import json
import resource
import socket
import statistics
import threading
import time

from benchmarks.arguments import OneLineParser, positive
from refserver.launcher import ReferenceServer


def _timed_gets(host: str, port: int, count: int) -> list[float]:
    times = []
    for _ in range(count):
        started = time.perf_counter()
        connection = http.client.HTTPConnection(host, port, timeout=30)
        connection.request("GET", "/ctx/all")
        response = connection.getresponse()
        response.read()
        connection.close()
        assert response.status == 200, response.status
        times.append((time.perf_counter() - started) * 1000)
    return times


def _figures(times: list[float]) -> dict:
    ordered = sorted(times)
    return {
        "p50": statistics.median(ordered),
        "p99": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
        "max": ordered[-1],
    }


def measure(idle: int, slow: int, requests: int) -> dict:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, idle + slow + 256)), hard))
    with ReferenceServer("--header-timeout", "30") as server:
        host, port = "127.0.0.1", int(server.url.rsplit(":", 1)[1])
        alone = _figures(_timed_gets(host, port, requests))
        sockets = [socket.create_connection((host, port)) for _ in range(idle)]
        trickled = [socket.create_connection((host, port)) for _ in range(slow)]
        for sock in trickled:
            sock.sendall(b"GET /ctx/all HTTP/1.1\r\nHost: x\r\n")
        stop = threading.Event()

        def trickle():
            while not stop.wait(0.25):
                for sock in trickled:
                    sock.send(b"a")

        thread = threading.Thread(target=trickle, daemon=True)
        thread.start()
        try:
            crowded = _figures(_timed_gets(host, port, requests))
        finally:
            stop.set()
            thread.join()
            for sock in sockets + trickled:
                sock.close()
    return {"alone_ms": alone, "crowded_ms": crowded, "idle": idle, "slow": slow, "requests": requests}


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks server-limits", description=__doc__)
    parser.add_argument("--idle", type=positive(int), default=2000)
    parser.add_argument("--slow", type=positive(int), default=200)
    parser.add_argument("--requests", type=positive(int), default=200)
    args = parser.parse_args(argv)
    result = measure(args.idle, args.slow, args.requests)
    alone, crowded = result["alone_ms"], result["crowded_ms"]
    print(f"{'':32} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    print(f"{'alone':32} {alone['p50']:8.2f} {alone['p99']:8.2f} {alone['max']:8.2f}")
    label = f"{args.idle} idle + {args.slow} slow-header"
    print(f"{label:32} {crowded['p50']:8.2f} {crowded['p99']:8.2f} {crowded['max']:8.2f}")
    print(f"ratio p50 {crowded['p50'] / alone['p50']:.2f}; slowest {crowded['max']:.1f} ms (goal: under 1000 ms)")
    print(json.dumps(result))
    return 0 if crowded["max"] < 1000 else 1

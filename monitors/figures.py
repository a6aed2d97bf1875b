"""Locust's own statistics as monitor figures: current RPS, error rate, latency, losses.

Usage (one ``LocustFigures`` per test, read once per snapshot)::

    figures = LocustFigures()
    figures.read(environment.stats, now=time.time())
    # {"rps": 812.4, "error_rate_percent": 0.3, "avg_response_ms": 4.1, "p95_response_ms": 9,
    #  "push_p95_ms": 6, "lost_writes": 0, "lost_pushes": 0,
    #  "endpoints": {"GET /ctx": {"rps": ..., "error_rate_percent": ..., ...}, ...}}

Locust keeps cumulative counters; an alert needs the *current* state. RPS is Locust's
``current_rps``; p95 is its current (10-second) percentile where Locust keeps that cache (local
and master runners), else the cumulative one. Error rate and average are computed here over the
same 10-second window from differences of the cumulative counters, which Locust does not offer.

What the traffic knows arrives as request rows, by convention with ``users/`` (the two packages
never import each other): a lost write is a failure of ``AUDIT lost writes``, a lost push a
failure of ``WS push context_updated``, whose successes time each push.
"""

from collections import deque

AGGREGATED = "Aggregated"
LOST_WRITES_ROW = ("lost writes", "AUDIT")
PUSH_ROW = ("WS push context_updated", "WS")
WINDOW_SECONDS = 10.0


def _percentile(entry, share: float) -> float | None:
    if entry.num_requests - entry.num_none_requests <= 0:
        return None
    if entry.use_response_times_cache:
        current = entry.get_current_response_time_percentile(share)
        if current is not None:
            return current
    return entry.get_response_time_percentile(share)


def _counters(entry) -> tuple[int, int, int, float]:
    return entry.num_requests, entry.num_failures, entry.num_none_requests, entry.total_response_time


class LocustFigures:
    """Windowed figures from Locust's cumulative stats; create one per test."""

    def __init__(self, window: float = WINDOW_SECONDS):
        self.window = window
        self._marks: deque[tuple[float, dict[str, tuple]]] = deque()

    def read(self, stats, now: float) -> dict:
        entries: dict[str, list] = {}
        for entry in stats.entries.values():
            entries.setdefault(entry.name, []).append(entry)
        counters = {
            name: tuple(map(sum, zip(*(_counters(e) for e in group), strict=True))) for name, group in entries.items()
        }
        counters[AGGREGATED] = _counters(stats.total)
        base = self._base(now, counters)
        figures = self._endpoint(stats.total, counters[AGGREGATED], base.get(AGGREGATED))
        figures["endpoints"] = {
            name: self._endpoint(group[0], counters[name], base.get(name), rps=sum(e.current_rps for e in group))
            for name, group in sorted(entries.items())
        }
        figures["lost_writes"] = _failures(stats, LOST_WRITES_ROW)
        figures["lost_pushes"] = _failures(stats, PUSH_ROW)
        push = stats.entries.get(PUSH_ROW)
        figures["push_p95_ms"] = None if push is None else _percentile(push, 0.95)
        return figures

    def _base(self, now: float, counters: dict) -> dict:
        """The counters of about ``window`` seconds ago (nothing before the first read: all zero)."""
        self._marks.append((now, counters))
        while len(self._marks) > 1 and self._marks[1][0] <= now - self.window:
            self._marks.popleft()
        return self._marks[0][1] if len(self._marks) > 1 else {}

    @staticmethod
    def _endpoint(entry, now_counts: tuple, base_counts: tuple | None, rps: float | None = None) -> dict:
        requests, failures, timeless, total_time = (
            a - b for a, b in zip(now_counts, base_counts or (0, 0, 0, 0.0), strict=True)
        )
        timed = requests - timeless
        return {
            "requests": now_counts[0],
            "failures": now_counts[1],
            "rps": round(entry.current_rps if rps is None else rps, 2),
            "error_rate_percent": round(100.0 * failures / requests, 3) if requests > 0 else 0.0,
            "avg_response_ms": round(total_time / timed, 3) if timed > 0 else None,
            "p95_response_ms": _percentile(entry, 0.95),
        }


def _failures(stats, row: tuple[str, str]) -> int:
    entry = stats.entries.get(row)
    return 0 if entry is None else entry.num_failures

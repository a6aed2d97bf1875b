"""Locust's own statistics as monitor figures: current RPS, error rate, latency, losses.

Usage (one ``LocustFigures`` per test, read once per snapshot)::

    figures = LocustFigures()
    figures.read(environment.stats, now=time.time())
    # {"rps": 812.4, "error_rate_percent": 0.3, "avg_response_ms": 4.1, "p95_response_ms": 9, "lost_writes": 0,
    #  "endpoints": {"GET /ctx": {"rps": ..., "error_rate_percent": ..., ...}, ...}}

Locust keeps cumulative counters; an alert needs the *current* state. RPS, error rate and
average are computed here over the last 10 seconds from differences of the cumulative counters
(an empty window has no error rate or average: None, not 0); p95 is Locust's current (10-second)
percentile where Locust keeps that cache (local and master runners), else the cumulative one.
Lost writes are None when no write audit ran. (Push figures are not Locust's: they come through the
gauges event, ``common.names.GAUGE_PUSH``.)

What the verification knows arrives as request rows named in ``common.names`` (``monitors/`` and
``verification/`` never import each other): a lost write is a failure of ``AUDIT lost writes``.
"""

from collections import deque

from common import names

AGGREGATED = "Aggregated"
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
        base_time, base = self._base(now, counters)
        seconds = now - base_time if base_time is not None else None
        figures = self._endpoint(stats.total, counters[AGGREGATED], base.get(AGGREGATED), seconds)
        figures["endpoints"] = {
            name: self._endpoint(group[0], counters[name], base.get(name), seconds, sum(e.current_rps for e in group))
            for name, group in sorted(entries.items())
        }
        audited = names.AUDIT_READ_ROW.key in stats.entries or names.LOST_WRITES_ROW.key in stats.entries
        figures["lost_writes"] = _failures(stats, names.LOST_WRITES_ROW) if audited else None  # None: no audit ran
        return figures

    def _base(self, now: float, counters: dict) -> tuple[float | None, dict]:
        """The time and counters of about ``window`` seconds ago (None, {} at the first read)."""
        self._marks.append((now, counters))
        while len(self._marks) > 1 and self._marks[1][0] <= now - self.window:
            self._marks.popleft()
        return self._marks[0] if len(self._marks) > 1 else (None, {})

    @staticmethod
    def _endpoint(entry, now_counts: tuple, base_counts, seconds: float | None, first_rps: float | None = None) -> dict:
        """Figures of one row over the window; at the first read (no window yet) Locust's own RPS."""
        requests, failures, timeless, total_time = (
            a - b for a, b in zip(now_counts, base_counts or (0, 0, 0, 0.0), strict=True)
        )
        timed = requests - timeless
        # RPS is counted here, not Locust's current_rps: that one is anchored at the last *completed*
        # request, so it freezes while a stalled target completes nothing.
        fallback = entry.current_rps if first_rps is None else first_rps
        rps = requests / seconds if seconds else fallback
        return {
            "requests": now_counts[0],
            "failures": now_counts[1],
            "rps": round(rps, 2),
            "error_rate_percent": round(100.0 * failures / requests, 3) if requests > 0 else None,
            "avg_response_ms": round(total_time / timed, 3) if timed > 0 else None,
            "p95_response_ms": _percentile(entry, 0.95),
        }


def _failures(stats, row: names.Row) -> int:
    entry = row.entry(stats)
    return 0 if entry is None else entry.num_failures

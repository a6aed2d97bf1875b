"""Exact per-interval figures from Locust's cumulative totals: requests, failures and mean latency between rows.

Each row of ``PREFIX_stats_history.csv`` carries, beside Locust's sliding-window columns, the totals since the
start: ``Total Request Count`` (N), ``Total Failure Count`` (F) and ``Total Average Response Time`` (A, so N x A
is the sum of response times). Between two consecutive rows of one endpoint, dN requests completed, dF failed,
and their mean response time was d(N x A) / dN: exact figures for every interval, with no window overlap, for
every endpoint with ``--csv-full-history`` and for ``Aggregated`` without it. Pure numpy, no files::

    from reports.intervals import from_totals, merge_blocks

    spans = from_totals(timestamps, total_requests, total_failures, total_avg_ms)
    spans.mean_ms        # per interval, NaN where no request completed
    blocks = merge_blocks(spans, min_seconds=1.0)   # intervals merged until each holds a request

Assumptions, and what breaks them:
* Locust writes a row about once a second, stamped with whole seconds: two rows in the same second keep the last
  (the totals are cumulative, so nothing is lost), and an interval's length is the difference of the stamps.
* ``Total Average Response Time`` leaves out requests whose time is None (Locust's ``num_none_requests``): the
  sum N x A then overstates the time slightly. Plain HTTP runs have none.
* Totals only grow; a drop (``--reset-stats``, a reset from the web UI) starts afresh: that interval is skipped.
* In a distributed run the master's totals move when workers report (every 3 s): one interval holds 3 s of
  requests and the next none, which ``merge_blocks`` evens out.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Spans:
    """Consecutive intervals of one endpoint: arrays of equal length."""

    end: np.ndarray  # the interval's end, in the history's time (seconds)
    seconds: np.ndarray  # its length
    requests: np.ndarray  # completed in it
    failures: np.ndarray
    time_ms: np.ndarray  # the sum of their response times, ms

    @property
    def size(self) -> int:
        return int(self.end.size)

    @property
    def mean_ms(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.requests > 0, self.time_ms / self.requests, np.nan)

    @property
    def rate(self) -> np.ndarray:
        """Requests per second."""
        return self.requests / self.seconds

    @property
    def failure_percent(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.requests > 0, 100.0 * self.failures / self.requests, np.nan)

    def within(self, first: float, last: float) -> "Spans":
        """The intervals that lie within [first, last] (by their start and end)."""
        keep = (self.end - self.seconds >= first) & (self.end <= last)
        return Spans(*(column[keep] for column in (self.end, self.seconds, self.requests, self.failures, self.time_ms)))


def from_totals(timestamps, total_requests, total_failures, total_avg_ms) -> Spans:
    """The intervals between consecutive rows of one endpoint (rows in time order)."""
    times = np.asarray(timestamps, dtype=float)
    requests = np.asarray(total_requests, dtype=float)
    failures = np.asarray(total_failures, dtype=float)
    time_ms = requests * np.nan_to_num(np.asarray(total_avg_ms, dtype=float))
    # The last row of each second: the totals are cumulative, so an earlier row of that second adds nothing.
    last_of_second = np.r_[times[1:] != times[:-1], True] if times.size else np.zeros(0, dtype=bool)
    times, requests, failures, time_ms = (c[last_of_second] for c in (times, requests, failures, time_ms))
    d_requests, d_failures, d_time = np.diff(requests), np.diff(failures), np.diff(time_ms)
    valid = (d_requests >= 0) & (d_failures >= 0) & np.isfinite(d_time)  # a reset starts afresh: skip it
    d_time = np.where(d_requests > 0, np.maximum(d_time, 0.0), 0.0)
    return Spans(times[1:][valid], np.diff(times)[valid], d_requests[valid], d_failures[valid], d_time[valid])


def merge_blocks(spans: Spans, min_seconds: float = 1.0) -> Spans:
    """Consecutive intervals merged into blocks of at least ``min_seconds`` that hold a request; a tail that
    never completes a block is dropped. With one row a second and requests in every second, blocks = intervals."""
    if not spans.size or (spans.requests > 0).all() and (spans.seconds >= min_seconds).all():
        return spans
    seconds, requests = np.cumsum(spans.seconds), np.cumsum(spans.requests)
    cuts, last_seconds, last_requests = [], 0.0, 0.0
    for index in range(spans.size):  # one pass over at most a day of seconds: cheap enough in Python
        if seconds[index] - last_seconds >= min_seconds and requests[index] > last_requests:
            cuts.append(index)
            last_seconds, last_requests = seconds[index], requests[index]
    if not cuts:
        return Spans(*(np.zeros(0) for _ in range(5)))
    ends = np.asarray(cuts)
    starts = np.r_[0, ends[:-1] + 1]

    def summed(column: np.ndarray) -> np.ndarray:
        return np.add.reduceat(column[: ends[-1] + 1], starts)

    return Spans(spans.end[ends], summed(spans.seconds), summed(spans.requests), summed(spans.failures),
                 summed(spans.time_ms))  # fmt: skip


def reporting_period(spans: Spans) -> float:
    """How often the totals move: 1 s on a local runner, ~3 s on a master (its workers report every 3 s)."""
    moved = spans.end[spans.requests > 0]
    if moved.size < 3:
        return 1.0
    return max(1.0, float(np.median(np.diff(moved))))

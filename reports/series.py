"""Per-interval series of a run, steady state only: what trends and comparisons are computed on.

Usage::

    steady = SteadyState.of(run)                # warm-up found on the exact per-second mean latency and users
    steady.warmup.reason                        # "users reached 200 at +60 s; ..."
    steady.cooldown_seconds                     # left out at the end: after the last interval at top users
    times, values = steady.series("GET /ctx", "p95")   # seconds since the start, NaN-free
    steady.spans("GET /ctx")                    # exact per-interval totals (reports.intervals), steady only

Metrics of ``series``: ``rps``, ``failure_rate`` (percent of requests, per interval), ``p50``, ``p95``,
``p99`` (Locust's current percentiles), ``users``. Without ``--csv-full-history`` only the ``Aggregated``
series exist, and its percentiles are cumulative: those series are empty then; ``spans`` are exact either way.
"""

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from reports.intervals import Spans, from_totals
from reports.warmup import WarmUp, detect_warmup

AGGREGATED = "Aggregated"
METRICS = ("rps", "failure_rate", "p50", "p95", "p99", "users")
PERCENTILES = ("p50", "p95", "p99")
LABELS = {
    "rps": "requests/s",
    "failure_rate": "failure rate (%)",
    "p50": "p50 (ms)",
    "p95": "p95 (ms)",
    "p99": "p99 (ms)",
    "users": "users",
}


@dataclass(eq=False)
class SteadyState:
    history: pd.DataFrame  # the run's whole history (not copied)
    start: int  # the run's first timestamp
    warmup: WarmUp
    first: int  # first and last timestamps of the steady state
    last: int
    # Locust writes current (10-s) percentiles in the history only with --csv-full-history;
    # without it they are cumulative since the start, useless as per-interval samples.
    current_percentiles: bool = True

    @classmethod
    def of(cls, run) -> "SteadyState":
        history = run.history
        start = int(history["timestamp"].iloc[0])
        aggregated = history[history["endpoint"] == AGGREGATED]
        # The end is cut first: after the last interval at the top user count, users are stopping and
        # the suite's own end-of-run work (the write audit) runs; neither is the steady state.
        users = aggregated["users"].to_numpy(dtype=float)
        known = np.isfinite(users).any()  # Locust before 1.0 wrote no user count: then the whole run is "at top"
        last_at_top = np.flatnonzero(users == np.nanmax(users))[-1] if known else max(len(users) - 1, 0)
        end = int(aggregated["timestamp"].iloc[last_at_top]) if len(users) else start
        within = aggregated.iloc[: last_at_top + 1]
        spans = _spans_of(within)
        # The warm-up's transient is looked for in the exact mean latency of each interval (reports.intervals):
        # present with or without --csv-full-history, and not smeared over 10 s as Locust's windowed columns are.
        users_at = within.drop_duplicates("timestamp", keep="last").set_index("timestamp")["users"]
        warmup = detect_warmup(
            spans.end - start, spans.mean_ms, users_at.reindex(spans.end.astype(np.int64)).to_numpy(dtype=float)
        )
        # The steady state starts where the first interval kept starts (the warm-up's rows are intervals' ends).
        first = int(spans.end[warmup.cut_rows] - spans.seconds[warmup.cut_rows]) if spans.size else start
        warmup = replace(warmup, cut_seconds=float(first - start))
        return cls(history, start, warmup, first, end, run.full_history)

    def __post_init__(self):
        # Row positions per endpoint, steady rows only: no copy of a history that can hold ~1.8 M rows.
        timestamps = self.history["timestamp"].to_numpy()
        steady = (timestamps >= self.first) & (timestamps <= self.last)
        groups = self.history.groupby("endpoint", observed=True, sort=False).indices
        self._all_positions = {str(name): rows for name, rows in groups.items()}
        self._positions = {str(name): rows[steady[rows]] for name, rows in groups.items()}

    @property
    def cooldown_seconds(self) -> int:
        """Left out at the end: after the last interval at the top user count."""
        return max(0, int(self.history["timestamp"].iloc[-1]) - self.last)

    def spans(self, endpoint: str) -> Spans:
        """Exact per-interval requests, failures and latency sums of the steady state (``reports.intervals``)."""
        rows = self.history.iloc[self._all_positions.get(endpoint, np.empty(0, dtype=int))]
        return _spans_of(rows).within(self.first, self.last)

    def endpoints(self) -> list[str]:
        return sorted(name for name, rows in self._positions.items() if len(rows))

    def rows(self, endpoint: str) -> pd.DataFrame:
        return self.history.iloc[self._positions.get(endpoint, np.empty(0, dtype=int))]

    def _column(self, endpoint: str, column: str) -> np.ndarray:
        positions = self._positions.get(endpoint, np.empty(0, dtype=int))
        return self.history[column].to_numpy()[positions].astype(float)

    def series(self, endpoint: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Times (s since the start) and values; empty for percentiles Locust wrote cumulatively."""
        if metric in PERCENTILES and not self.current_percentiles:
            return np.empty(0), np.empty(0)
        times = self._column(endpoint, "timestamp") - self.start
        rps = self._column(endpoint, "rps")
        with np.errstate(divide="ignore", invalid="ignore"):
            if metric == "failure_rate":
                values = np.where(rps > 0, 100.0 * self._column(endpoint, "fail_rps") / rps, np.nan)
            elif metric in PERCENTILES:
                # Locust writes 0, not N/A, for a window without requests: that is no data, not 0 ms.
                values = np.where(rps > 0, self._column(endpoint, metric), np.nan)
            else:
                values = self._column(endpoint, metric)
        keep = ~np.isnan(values)
        return times[keep], values[keep]


def _spans_of(rows: pd.DataFrame) -> Spans:
    """The intervals between one endpoint's rows (in time order), from Locust's cumulative totals."""
    return from_totals(
        rows["timestamp"].to_numpy(dtype=float),
        rows["total_requests"].to_numpy(dtype=float),
        rows["total_failures"].to_numpy(dtype=float),
        rows["total_avg_ms"].to_numpy(dtype=float),
    )

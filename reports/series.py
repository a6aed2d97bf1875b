"""Per-interval series of a run, steady state only: what trends and comparisons are computed on.

Usage::

    steady = SteadyState.of(run)                # warm-up found on the aggregated p95 and the user count
    steady.warmup.reason                        # "users reached 200 at +60 s; ..."
    steady.cooldown_seconds                     # left out at the end: after the last interval at top users
    times, values = steady.series("GET /ctx", "p95")   # seconds since the start, NaN-free

Metrics: ``rps``, ``failure_rate`` (percent of requests, per interval), ``p50``, ``p95``, ``p99``
(Locust's current percentiles), ``users``. Without ``--csv-full-history`` only the
``Aggregated`` series exist, and its percentiles are cumulative: those series are empty then.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

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
        users = aggregated["users"].to_numpy()
        last_at_top = np.flatnonzero(users == users.max())[-1] if len(users) else 0
        end = int(aggregated["timestamp"].iloc[last_at_top]) if len(users) else start
        within = aggregated.iloc[: last_at_top + 1]
        warmup = detect_warmup(
            (within["timestamp"] - start).to_numpy(dtype=float),
            # Without --csv-full-history Locust's history percentiles are cumulative: no transient to find in them.
            within["p95" if run.full_history else "rps"].to_numpy(dtype=float),
            within["users"].to_numpy(dtype=float),
        )
        return cls(history, start, warmup, start + int(np.ceil(warmup.cut_seconds)), end, run.full_history)

    def __post_init__(self):
        # Row positions per endpoint, steady rows only: no copy of a history that can hold ~1.8 M rows.
        timestamps = self.history["timestamp"].to_numpy()
        steady = (timestamps >= self.first) & (timestamps <= self.last)
        groups = self.history.groupby("endpoint", observed=True, sort=False).indices
        self._positions = {str(name): rows[steady[rows]] for name, rows in groups.items()}

    @property
    def cooldown_seconds(self) -> int:
        """Left out at the end: after the last interval at the top user count."""
        return max(0, int(self.history["timestamp"].iloc[-1]) - self.last)

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

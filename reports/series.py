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

from reports.statistics import WarmUp, detect_warmup

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
    history: pd.DataFrame  # rows after the warm-up, all endpoints
    start: int  # the run's first timestamp
    warmup: WarmUp
    cooldown_seconds: int = 0  # left out at the end
    # Locust writes current (10-s) percentiles in the history only with --csv-full-history;
    # without it they are cumulative since the start, useless as per-interval samples.
    current_percentiles: bool = True

    @classmethod
    def of(cls, run) -> "SteadyState":
        history = run.history
        start = int(history["timestamp"].iloc[0])
        aggregated = history[history["endpoint"] == AGGREGATED]
        warmup = detect_warmup(
            (aggregated["timestamp"] - start).to_numpy(dtype=float),
            aggregated["p95"].to_numpy(dtype=float),
            aggregated["users"].to_numpy(dtype=float),
        )
        # The end is cut too: after the last interval at the top user count, users are stopping and
        # the suite's own end-of-run work (the write audit) runs; neither is the steady state.
        users = aggregated["users"].to_numpy()
        end = int(aggregated["timestamp"].iloc[np.flatnonzero(users == users.max())[-1]]) if len(users) else start
        steady = history[(history["timestamp"] >= start + warmup.cut_seconds) & (history["timestamp"] <= end)]
        return cls(steady, start, warmup, max(0, int(history["timestamp"].iloc[-1]) - end), run.full_history)

    def __post_init__(self):
        # One pass over the history instead of one filter per endpoint and metric (a day has ~1.8 M rows).
        self._rows = {str(name): rows for name, rows in self.history.groupby("endpoint", observed=True, sort=False)}

    def endpoints(self) -> list[str]:
        return sorted(self._rows)

    def rows(self, endpoint: str) -> pd.DataFrame:
        return self._rows.get(endpoint, self.history.iloc[:0])

    def series(self, endpoint: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
        """Times (s since the start) and values; empty for percentiles Locust wrote cumulatively."""
        rows = self.rows(endpoint)
        if metric in PERCENTILES and not self.current_percentiles:
            return np.empty(0), np.empty(0)
        times = (rows["timestamp"] - self.start).to_numpy(dtype=float)
        rps = rows["rps"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            if metric == "failure_rate":
                values = np.where(rps > 0, 100.0 * rows["fail_rps"].to_numpy(dtype=float) / rps, np.nan)
            elif metric in PERCENTILES:
                # Locust writes 0, not N/A, for a window without requests: that is no data, not 0 ms.
                values = np.where(rps > 0, rows[metric].to_numpy(dtype=float), np.nan)
            else:
                values = rows[metric].to_numpy(dtype=float)
        keep = ~np.isnan(values)
        return times[keep], values[keep]

"""Seeded simulations of Locust runs, as ``reports.load.Run`` objects: what the regression verdicts are measured on.

A closed loop: ``users`` users with no wait, so each second completes about users / mean latency requests. Each
request's time is log-normal around the second's level; the level wanders from second to second (an AR(1) on its
log: a server's GC and scheduling make neighbouring seconds alike) and the run's level is off by a draw of
``between_runs`` (another machine, another day). Rows are what Locust's CSV writer would have written, one a
second: the cumulative totals (count, failures, average), and with ``full_history`` the windowed p50/p95/p99 of
the last 10 s, rounded as Locust rounds response times::

    from benchmarks.history_sim import simulate_run

    run = simulate_run(np.random.default_rng(1), seconds=60, latency_ms=40, latency_factor=1.25)
    SteadyState.of(run); RunFigures.of(run, steady)   # as for a real run's files
"""

import math

import numpy as np
import pandas as pd

from reports.load import Run

START = 1_767_225_600
WINDOW = 10
REQUEST_SIGMA = 0.25  # spread of single requests' log times
SECOND_SIGMA = 0.02  # the second-to-second wander of the level (log)
SECOND_PHI = 0.6  # its lag-1 correlation
PERCENTILES = {"p50": 50, "p95": 95, "p99": 99}


def _locust_round(times_ms: np.ndarray) -> np.ndarray:
    """As Locust keeps response times for percentiles: whole ms below 100, 2 significant digits above."""
    rounded = np.round(times_ms)
    big = rounded >= 100
    digits = np.floor(np.log10(np.where(big, rounded, 1.0))) - 1
    return np.where(big, np.round(rounded / 10**digits) * 10**digits, rounded)


def simulate_run(
    rng: np.random.Generator,
    seconds: int = 60,
    users: int = 20,
    latency_ms: float = 40.0,
    latency_factor: float = 1.0,
    throughput_factor: float = 1.0,
    between_runs: float = 0.0,
    full_history: bool = True,
    prefix: str = "simulated",
) -> Run:
    """One run's history and stats. ``latency_factor`` scales every request's time (in a closed loop throughput
    falls with it); ``throughput_factor`` scales the requests made without touching their times."""
    level = (
        latency_ms * latency_factor * math.exp(rng.normal(0.0, between_runs))
        if between_runs
        else (latency_ms * latency_factor)
    )
    wander = np.zeros(seconds)
    for second in range(1, seconds):
        wander[second] = SECOND_PHI * wander[second - 1] + rng.normal(0.0, SECOND_SIGMA * math.sqrt(1 - SECOND_PHI**2))
    levels = level * np.exp(wander)
    counts = rng.poisson(users * 1000.0 / levels * throughput_factor)
    samples = [levels[s] * rng.lognormal(-(REQUEST_SIGMA**2) / 2, REQUEST_SIGMA, counts[s]) for s in range(seconds)]
    totals = np.cumsum(counts)
    sums = np.cumsum([sample.sum() for sample in samples])
    rounded = [_locust_round(sample) for sample in samples]
    rows = []
    for second in range(seconds):
        row = {
            "timestamp": START + second + 1,
            "users": users,
            "endpoint": "Aggregated",
            "rps": float(np.mean(counts[max(0, second - WINDOW + 1) : second + 1])),
            "fail_rps": 0.0,
            "total_requests": int(totals[second]),
            "total_failures": 0,
            "total_avg_ms": float(sums[second] / totals[second]) if totals[second] else 0.0,
        }
        recent = np.concatenate(rounded[max(0, second - WINDOW + 1) : second + 1]) if full_history else None
        everything = None if full_history else np.concatenate(rounded[: second + 1])
        source = recent if full_history else everything
        values = np.percentile(source, list(PERCENTILES.values()), method="inverted_cdf") if source.size else [0.0] * 3
        row.update(zip(PERCENTILES, map(float, values), strict=True))
        rows.append(row)
    history = pd.DataFrame(rows)
    history["endpoint"] = history["endpoint"].astype("category")
    stats = pd.DataFrame([{"endpoint": "Aggregated", "requests": int(totals[-1]), "failures": 0}])
    empty = pd.DataFrame()
    return Run(prefix, stats, history, empty, empty, None, None, full_history)

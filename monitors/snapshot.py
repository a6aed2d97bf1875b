"""A monitor snapshot: one dict per interval, and the metric values rules are evaluated on. No I/O.

A snapshot (JSON-ready; the export writes them as they are)::

    {"time": 1763700000.0, "elapsed": 12.0, "state": "running", "users": 200,
     "generators": {"local": {"process": {"pid", "cpu_percent", "memory_mb", "threads"},
                              "system": {...}, "ws_sessions": 40, "reported": 1763700000.0,
                              "missing": false}},
     "generators_total": {"cpu_percent", "memory_mb", "ws_sessions"},   (the reporting ones, summed)
     "target": {"pid", "cpu_percent", "memory_mb", "threads"} or None,
     "system": {"cpu_percent", "memory_percent", "memory_used_mb", "load1"},
     "locust": <monitors.figures.LocustFigures.read()>,
     "server": {"keys", "clients", "history_count", "polled"} or {"error", "polled"} or None,
     "push": {"push_p50_ms", "push_p95_ms", "push_p99_ms", "push_reach_percent", "fanout_p95_ms",
              "lost_pushes", "pushes_delivered"} or None,     (verification.push_figures, via the gauges)
     "generator_bound": false}

``metric_value(snapshot, metric, endpoint)`` reads one of ``monitors.metrics.METRICS`` from it;
a figure that was not measured is None (never 0), and rules skip it.
"""

from monitors.metrics import METRICS

LOCUST_METRICS = ("rps", "error_rate_percent", "avg_response_ms", "p95_response_ms")
TARGET_FIELDS = {"target_cpu_percent": "cpu_percent", "target_memory_mb": "memory_mb"}
SYSTEM_FIELDS = {
    "system_cpu_percent": "cpu_percent",
    "system_memory_percent": "memory_percent",
    "system_load1": "load1",
}
GENERATOR_FIELDS = {"generator_cpu_percent": "cpu_percent", "generator_memory_mb": "memory_mb"}
SERVER_FIELDS = {"server_keys": "keys", "server_clients": "clients"}
PUSH_METRICS = ("push_p50_ms", "push_p95_ms", "push_p99_ms", "push_reach_percent", "fanout_p95_ms", "lost_pushes")
ROW_COLUMNS = ("time", "elapsed", "state", "generators", "generators_missing", "generator_bound", *METRICS)


def live_generators(snapshot: dict) -> list[dict]:
    return [generator for generator in snapshot["generators"].values() if not generator.get("missing")]


def generator_totals(generators: dict[str, dict]) -> dict:
    """The reporting generators' CPU, memory and sessions, summed (None where none measured it)."""
    live = [g for g in generators.values() if not g.get("missing")]

    def total(values):
        values = [value for value in values if value is not None]
        return round(sum(values), 1) if values else None

    return {
        "cpu_percent": total((g.get("process") or {}).get("cpu_percent") for g in live),
        "memory_mb": total((g.get("process") or {}).get("memory_mb") for g in live),
        "ws_sessions": total(g.get("ws_sessions") for g in live),
    }


def metric_value(snapshot: dict, metric: str, endpoint: str | None = None) -> float | None:
    if metric in LOCUST_METRICS:
        figures = snapshot["locust"]
        if endpoint is not None:
            figures = figures["endpoints"].get(endpoint)
        return None if figures is None else figures.get(metric)
    if metric in GENERATOR_FIELDS:
        values = [g["process"][GENERATOR_FIELDS[metric]] for g in live_generators(snapshot) if g.get("process")]
        return max(values) if values else None
    if metric in TARGET_FIELDS:
        return (snapshot["target"] or {}).get(TARGET_FIELDS[metric])
    if metric in SYSTEM_FIELDS:
        return snapshot["system"].get(SYSTEM_FIELDS[metric])
    if metric in SERVER_FIELDS:
        return (snapshot["server"] or {}).get(SERVER_FIELDS[metric])
    if metric == "users":
        return snapshot["users"]
    if metric == "ws_sessions":
        sessions = generator_totals(snapshot["generators"])["ws_sessions"]
        return None if sessions is None else int(sessions)
    if metric == "lost_writes":
        return snapshot["locust"].get(metric)
    if metric in PUSH_METRICS:
        return (snapshot.get("push") or {}).get(metric)
    raise KeyError(f"unknown metric {metric!r}")


def flat_row(snapshot: dict) -> dict:
    """One CSV row: the time, the generators' count, and every metric (aggregated)."""
    return {
        "time": snapshot["time"],
        "elapsed": snapshot["elapsed"],
        "state": snapshot["state"],
        "generators": len(snapshot["generators"]),
        "generators_missing": sum(1 for g in snapshot["generators"].values() if g.get("missing")),
        "generator_bound": snapshot["generator_bound"],
        **{metric: metric_value(snapshot, metric) for metric in METRICS},
    }


def _figure(value, unit: str, digits: int = 0) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}{unit}"


def summary_line(snapshot: dict, active_alerts: int) -> str:
    value = lambda metric: metric_value(snapshot, metric)  # noqa: E731
    parts = [
        f"{_figure(value('rps'), ' req/s', 1)}",
        f"{_figure(value('error_rate_percent'), '% errors', 1)}",
        f"avg {_figure(value('avg_response_ms'), ' ms')}",
        f"p95 {_figure(value('p95_response_ms'), ' ms')}",
        f"{snapshot['users']} users",
    ]
    if value("ws_sessions") is not None:
        parts.append(f"{value('ws_sessions')} WS sessions")
    parts.append(f"generator CPU {_figure(value('generator_cpu_percent'), '%')}")
    if snapshot["target"] is not None:
        parts.append(
            f"target CPU {_figure(value('target_cpu_percent'), '%')} {_figure(value('target_memory_mb'), ' MB')}"
        )
    parts.append(f"system CPU {_figure(value('system_cpu_percent'), '%')}")
    line = "Monitor: " + ", ".join(parts) + f"; {active_alerts} alerts active"
    if snapshot["generator_bound"]:
        line += "; GENERATOR-BOUND"
    return line

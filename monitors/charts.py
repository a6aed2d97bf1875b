"""What the web UI's live charts show: the monitor's history as chart-ready series, alert periods, the verdict.

Pure: snapshots in, JSON-ready dicts out (``monitors.webui`` serves them at ``ctxload/monitor/charts``, and
``static/monitor_charts.js`` draws them with Plotly)::

    charts = chart_data(monitor.history.last(30), monitor.status(), verdict_line)
    charts["charts"][0]   # {"key": "cpu", "title": ..., "unit": "%", "traces": [{"name", "x", "y", "axis"}]}
    charts["alerts"]      # [{"id", "rule", "severity", "state", "started", "acknowledged_at", "resolved_at"}]

Times are epoch milliseconds (a browser's dates); a figure not measured is None (a gap in its line, never 0).
Generator lines are drawn per worker when more than one reports (a distributed run).
"""

from monitors.metrics import METRICS
from monitors.snapshot import metric_value

# key, title, unit of the left axis, [(figure, label)], unit of the right axis, [(figure, label)] on it,
# per-worker field of the generators (one more line each when several report)
CHARTS = (
    ("cpu", "CPU", "% of one core", [("target_cpu_percent", "target server"),
                                     ("generator_cpu_percent", "busiest generator")], None, [], "cpu_percent"),
    ("memory", "Memory", "MB", [("target_memory_mb", "target server"), ("generator_memory_mb", "generator")],
     None, [], "memory_mb"),
    ("requests", "Requests and errors", "requests/s", [("rps", "requests/s")],
     "% failed", [("error_rate_percent", "errors (% of requests)")], None),
    ("latency", "Response time", "ms", [("avg_response_ms", "average"), ("p95_response_ms", "95th percentile")],
     None, [], None),
    ("push", "Push latency and reach", "ms from the write's send",
     [("push_p50_ms", "push p50"), ("push_p95_ms", "push p95"), ("push_p99_ms", "push p99")],
     "% of subscribers", [("push_reach_percent", "reach")], None),
    ("sessions", "Users and Socket.IO sessions", "count", [("users", "users"), ("ws_sessions", "Socket.IO sessions")],
     None, [], None),
)  # fmt: skip
ALERT_FIELDS = ("id", "rule", "metric", "severity", "peak_severity", "state", "message", "started",
                "acknowledged_at", "resolved_at")  # fmt: skip


def chart_data(snapshots: list[dict], status: dict, verdict: str) -> dict:
    times = [snapshot["time"] * 1000 for snapshot in snapshots]
    workers = sorted({name for snapshot in snapshots for name in snapshot["generators"]})
    charts = []
    for key, title, unit, left, right_unit, right, per_worker in CHARTS:
        traces = [_trace(label, times, snapshots, figure, "y") for figure, label in left]
        traces += [_trace(label, times, snapshots, figure, "y2") for figure, label in right]
        if per_worker and len(workers) > 1:
            traces += [_worker_trace(times, snapshots, worker, per_worker) for worker in workers]
        charts.append({"key": key, "title": title, "unit": unit, "right_unit": right_unit, "traces": traces,
                       "help": {label: METRICS[figure].description for figure, label in left + right}})  # fmt: skip
    alerts = [{field: alert.get(field) for field in ALERT_FIELDS} for alert in status["alerts"]]
    for alert in alerts:
        for field in ("started", "acknowledged_at", "resolved_at"):
            alert[field] = alert[field] * 1000 if alert[field] is not None else None
    now = snapshots[-1]["time"] * 1000 if snapshots else None
    return {"charts": charts, "alerts": alerts, "verdict": verdict, "now": now}


def _trace(label: str, times: list, snapshots: list[dict], figure: str, axis: str) -> dict:
    return {"name": label, "x": times, "y": [metric_value(snapshot, figure) for snapshot in snapshots], "axis": axis}


def _worker_trace(times: list, snapshots: list[dict], worker: str, field: str) -> dict:
    values = []
    for snapshot in snapshots:
        generator = snapshot["generators"].get(worker) or {}
        values.append(None if generator.get("missing") else (generator.get("process") or {}).get(field))
    return {"name": f"worker {worker}", "x": times, "y": values, "axis": "y", "dash": "dot"}

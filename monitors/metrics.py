"""The metric names that threshold rules may watch: the vocabulary of thresholds files.

Names only: the monitor that samples resources and Locust's statistics produces one value per
name (or per name and endpoint), and a rule says which name it watches::

    METRICS["p95_response_ms"].unit            # "ms"
    METRICS["p95_response_ms"].per_endpoint    # True: a rule may add endpoint = "GET /ctx"

A per-endpoint metric without an endpoint is the value over all requests. Units: ``%``, ``MB``,
``ms``, ``req/s``, ``count``, or ``""`` for a plain number.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class MetricInfo:
    unit: str
    per_endpoint: bool
    description: str


METRICS: dict[str, MetricInfo] = {
    "generator_cpu_percent": MetricInfo("%", False, "CPU of the busiest load-generator process, % of one core"),
    "generator_memory_mb": MetricInfo("MB", False, "resident memory of the load generator"),
    "target_cpu_percent": MetricInfo("%", False, "CPU of the target server, % of one core"),
    "target_memory_mb": MetricInfo("MB", False, "resident memory of the target server"),
    "system_cpu_percent": MetricInfo("%", False, "CPU of the whole machine, % of all cores"),
    "system_memory_percent": MetricInfo("%", False, "memory of the whole machine in use"),
    "system_load1": MetricInfo("", False, "one-minute load average of the machine"),
    "rps": MetricInfo("req/s", True, "requests per second"),
    "error_rate_percent": MetricInfo("%", True, "share of requests that failed"),
    "avg_response_ms": MetricInfo("ms", True, "average response time"),
    "p95_response_ms": MetricInfo("ms", True, "95th percentile of response times"),
    "users": MetricInfo("count", False, "running Locust users"),
    "ws_sessions": MetricInfo("count", False, "open Socket.IO sessions"),
    "push_p50_ms": MetricInfo("ms", False, "median push latency, from the write's send to the subscriber's receipt"),
    "push_p95_ms": MetricInfo("ms", False, "95th percentile of push latency, from the write's send to the receipt"),
    "push_p99_ms": MetricInfo("ms", False, "99th percentile of push latency, from the write's send to the receipt"),
    "push_reach_percent": MetricInfo("%", False, "mean share of a write's expected subscribers that got its push"),
    "fanout_p95_ms": MetricInfo("ms", False, "95th percentile of the time until a write's last subscriber had it"),
    "lost_writes": MetricInfo("count", False, "acknowledged writes the audit found lost"),
    "lost_pushes": MetricInfo("count", False, "expected pushes that missed their deadline"),
    "server_keys": MetricInfo("count", False, "keys stored on the target server"),
    "server_clients": MetricInfo("count", False, "clients connected to the target server, by its own count"),
}

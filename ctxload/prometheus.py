"""A Prometheus endpoint on Locust's web server: ``GET {base}/ctxload/metrics``, behind Locust's web auth.

So that a team graphs a run in the Grafana it already has. The text is ``prometheus_client``'s (its collector
API and exposition format); each scrape reads the run as it is then (on a master: the workers' figures as last
reported)::

    events.init.add_listener(PrometheusMetrics.register)   # locustfile.py; nothing without a web UI (--headless)

Metrics:

* ``ctxload_<figure>``: every figure of the monitor's latest snapshot (``monitors.metrics``; the unit is in the
  help), absent while not measured; ``ctxload_generator_cpu_percent`` and ``_memory_mb`` also per ``worker``.
* ``ctxload_request_duration_seconds{method,name}``: a histogram per endpoint (and ``Aggregated``) from Locust's
  response-time counts, which Locust rounds (whole ms below 100 ms, 2 significant digits above): a bucket edge
  is exact to that rounding. ``ctxload_requests_total`` and ``ctxload_request_failures_total`` per endpoint.
* ``ctxload_push_latency_seconds``: push latency from the write's send to the receipt, and
  ``ctxload_push_fanout_seconds`` (until the last expected subscriber had it): histograms from the run's
  HdrHistograms (exact to their 3 significant digits); ``ctxload_pushes_total{outcome}`` (delivered, lost,
  duplicated, out_of_order); ``ctxload_push_reach_ratio``.
* ``ctxload_alert{id,rule,severity,state}`` 1 per alert of the run (firing, acknowledged, resolved);
  ``ctxload_verdict_passing`` 1 while no critical alert holds the exit code at 3.
"""

import math

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily

from common.run import Run
from monitors.hooks import RunMonitor
from monitors.metrics import METRICS
from monitors.snapshot import GENERATOR_FIELDS, metric_value
from verification.delivery import PushDelivery

# seconds: from loopback latencies to the 60-s timeouts a stalled server gives
BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PUSH_OUTCOMES = ("delivered", "lost", "duplicated", "out_of_order")


class PrometheusMetrics:
    """The collector of one run, and the route that renders it."""

    def __init__(self, environment):
        self.run = Run.of(environment)
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(self)

    @classmethod
    def register(cls, environment, **_kwargs) -> "PrometheusMetrics | None":
        """An ``init`` listener: the route on Locust's web app (none in headless runs or on workers)."""
        web_ui = environment.web_ui
        if web_ui is None:
            return None
        metrics = Run.of(environment).put(cls(environment))
        route = "/ctxload/metrics"
        base = (getattr(environment.parsed_options, "web_base_path", None) or "").rstrip("/")

        @web_ui.app.route(base + route, endpoint="ctxload_prometheus")
        @web_ui.auth_required_if_enabled
        def scrape():
            return generate_latest(metrics.registry), 200, {"Content-Type": CONTENT_TYPE_LATEST}

        return metrics

    # -- prometheus_client's collector API ---------------------------------------------------------
    def collect(self):
        monitor = self.run.find(RunMonitor)
        if monitor is not None and monitor.monitor is not None:
            yield from self._monitor(monitor)
        yield from self._requests()
        delivery = self.run.find(PushDelivery)
        if delivery is not None:
            yield from self._pushes(delivery)

    def _monitor(self, monitor: RunMonitor):
        snapshot = monitor.monitor.history.latest
        if snapshot is not None:
            for name, info in METRICS.items():
                value = metric_value(snapshot, name)
                if value is not None:
                    yield GaugeMetricFamily(f"ctxload_{name}", f"{info.description} ({info.unit})", value=value)
            for metric, field in GENERATOR_FIELDS.items():
                family = GaugeMetricFamily(f"ctxload_{metric}_by_worker", f"{metric} of each generator process",
                                           labels=["worker"])  # fmt: skip
                for worker, generator in snapshot["generators"].items():
                    value = (generator.get("process") or {}).get(field)
                    if value is not None and not generator.get("missing"):
                        family.add_metric([str(worker)], value)
                yield family
        labels = ["id", "rule", "severity", "state"]
        alerts = GaugeMetricFamily("ctxload_alert", "1 per alert of the run, by state", labels=labels)
        status = monitor.monitor.status()
        for alert in status["alerts"]:
            alerts.add_metric([str(alert["id"]), alert["rule"], alert["peak_severity"], alert["state"]], 1)
        yield alerts
        passing = 0 if monitor.verdict()["exit_code_monitor"] else 1
        yield GaugeMetricFamily("ctxload_verdict_passing", "1 while no critical alert decides exit code 3", passing)

    def _requests(self):
        stats = self.run.environment.stats
        durations = HistogramMetricFamily("ctxload_request_duration_seconds", "Locust's response times per "
                                          "endpoint, from its rounded counts", labels=["method", "name"])  # fmt: skip
        requests = CounterMetricFamily("ctxload_requests", "requests per endpoint", labels=["method", "name"])
        failures = CounterMetricFamily("ctxload_request_failures", "failed requests per endpoint",
                                       labels=["method", "name"])  # fmt: skip
        for entry in [*stats.entries.values(), stats.total]:
            labels = [entry.method or "", entry.name]
            counts = sorted((milliseconds / 1000, count) for milliseconds, count in entry.response_times.items())
            buckets = [*_cumulative(counts), ("+Inf", sum(count for _, count in counts))]
            durations.add_metric(labels, buckets, sum_value=entry.total_response_time / 1000)
            requests.add_metric(labels, entry.num_requests)
            failures.add_metric(labels, entry.num_failures)
        yield from (durations, requests, failures)

    def _pushes(self, delivery: PushDelivery):
        figures = delivery.summed().figures
        figures.flush()  # latencies are kept aside and moved into the histogram in batches: all of them, now
        for name, histogram, text in (
            ("ctxload_push_latency_seconds", figures.latency, "push latency, from the write's send to the receipt"),
            ("ctxload_push_fanout_seconds", figures.fanout, "per write, until its last expected subscriber had it"),
        ):
            if histogram.get_total_count():
                yield _from_hdr(name, text, histogram)
        outcomes = CounterMetricFamily("ctxload_pushes", "pushes by outcome", labels=["outcome"])
        for outcome in PUSH_OUTCOMES:
            outcomes.add_metric([outcome], figures.counts[outcome])
        yield outcomes
        if figures.reach_percent is not None:
            yield GaugeMetricFamily("ctxload_push_reach_ratio", "mean share of a write's expected subscribers that "
                                    "got it", figures.reach_percent / 100)  # fmt: skip


def _edge(seconds: float) -> str:
    return f"{seconds:g}"


def _from_hdr(name: str, text: str, histogram) -> HistogramMetricFamily:
    """A Prometheus histogram from an HdrHistogram in microseconds: the count at or below each edge."""
    total = histogram.get_total_count()
    recorded = ((item.value_iterated_to / 1e6, item.count_at_value_iterated_to)
                for item in histogram.get_recorded_iterator())  # fmt: skip
    buckets = [*_cumulative(recorded), ("+Inf", total)]
    mean = histogram.get_mean_value()
    return HistogramMetricFamily(name, text, buckets=buckets, sum_value=mean * total / 1e6 if math.isfinite(mean)
                                 else 0.0)  # fmt: skip


def _cumulative(counts) -> list[tuple[str, int]]:
    """(edge, how many at or below it) for each of BUCKETS, from (seconds, count) pairs in rising order: one pass."""
    buckets, seen, pairs = [], 0, iter(counts)
    pending = next(pairs, None)
    for edge in BUCKETS:
        while pending is not None and pending[0] <= edge:
            seen += pending[1]
            pending = next(pairs, None)
        buckets.append((_edge(edge), seen))
    return buckets

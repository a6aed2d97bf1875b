"""Push delivery accounting in a run: the per-process push ledger, its deadlines, its summary.

Register from the locustfile (``verification.hooks`` does)::

    events.init.add_listener(PushDelivery.register)

Where users run, a fresh ``PushLedger`` (``--push-deadline``) starts with each test; every half
second, pushes past their deadline are settled, and each lost one is a failure of the row
``WS push context_updated``. When the test stops, pushes still within their deadline are not
judged (their sessions closed with the test) and are reported as unsettled. Workers send their
counts to the master, which sums them (``common.worker_figures``). The number of subscribed
sessions is offered to a monitor through the custom event ``common.names.GAUGES_EVENT``. The
master (or local process) logs, after Locust's tables::

    Push delivery: 12000 expected, 11998 delivered, 2 lost, 0 duplicated, 0 out of order;
    push latency p50 3 ms, p95 8 ms, p99 12 ms        (one line in the log)
"""

import logging
import time
from dataclasses import asdict, dataclass, field

import gevent

from common import names
from common.run import Run
from common.worker_figures import WorkerFigures
from verification.push_ledger import PushCounts, PushLedger

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5


class PushLost(Exception):
    """A subscribed session did not receive a write's context_updated within the deadline."""


def push_ledger_for(environment) -> PushLedger:
    """This run's push ledger (a fresh one at each test start)."""
    run = Run.of(environment)
    return run.get(PushLedger, lambda: PushLedger(run.settings.push_deadline))


def expect_push(
    environment, key: str, value, acked_at: float, sender: int | None = None, sent_at: float | None = None
) -> None:
    """Note an acknowledged write of this process; report pushes of it that arrived first."""
    for latency in push_ledger_for(environment).expect(key, value, acked_at, sender, sent_at):
        report_delivered(environment, latency, size=0)


def report_delivered(environment, latency_seconds: float, size: int, session: str | None = None) -> None:
    context = {"session": session} if session else {}
    names.PUSH_ROW.fire(environment.events, response_time=latency_seconds * 1000, length=size, context=context)


def report_lost(environment, count: int) -> None:
    for _ in range(count):
        lost = PushLost("context_updated not received within --push-deadline")
        names.PUSH_ROW.fire(environment.events, exception=lost)


@dataclass
class DeliveryFigures:
    """One process's push counts when its test stopped, and the pushes still within their deadline."""

    counts: PushCounts = field(default_factory=PushCounts)
    unsettled: int = 0
    processes: int = 0

    def __add__(self, other: "DeliveryFigures") -> "DeliveryFigures":
        return DeliveryFigures(
            self.counts + other.counts, self.unsettled + other.unsettled, self.processes + other.processes
        )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "DeliveryFigures":
        return cls(PushCounts(**data["counts"]), data["unsettled"], data["processes"])


def summary_line(counts: PushCounts, unsettled: int, stats_entry, workers: int = 0) -> str:
    line = (
        f"Push delivery: {counts.expected} expected, {counts.delivered} delivered, {counts.lost} lost, "
        f"{counts.duplicated} duplicated, {counts.out_of_order} out of order"
    )
    if unsettled:
        line += f" ({unsettled} unsettled when the test stopped)"
    if stats_entry is not None and stats_entry.num_requests - stats_entry.num_failures > 0:
        p50, p95, p99 = (stats_entry.get_response_time_percentile(p) for p in (0.5, 0.95, 0.99))
        line += f"; push latency p50 {p50} ms, p95 {p95} ms, p99 {p99} ms"
    if workers > 1:
        line += f"; summed over {workers} workers"
    return line


class PushDelivery:
    """Push delivery's listeners for one run: settle deadlines where users run, sum and report centrally."""

    def __init__(self, environment):
        self.environment = environment
        self.run = Run.of(environment)
        self.sweeper: gevent.Greenlet | None = None
        self.figures = WorkerFigures(
            environment,
            names.PUSH_DELIVERY_MESSAGE,
            encode=DeliveryFigures.to_dict,
            decode=DeliveryFigures.from_dict,
        )

    @classmethod
    def register(cls, environment, **_kwargs) -> "PushDelivery":
        """An ``init`` listener."""
        delivery = Run.of(environment).put(cls(environment))
        events = environment.events
        if delivery.run.runs_users:
            events.test_start.add_listener(delivery.on_test_start)
            events.test_stop.add_listener(delivery.on_test_stop)
            # A monitor asks for gauges through this custom event, when one is registered.
            gauges = getattr(events, names.GAUGES_EVENT, None)
            if gauges is not None:
                gauges.add_listener(delivery.on_gauges)
        if not delivery.run.is_worker:
            events.quit.add_listener(delivery.on_quit)
        return delivery

    def sweep(self) -> None:
        while True:
            gevent.sleep(SWEEP_SECONDS)
            report_lost(self.environment, push_ledger_for(self.environment).expire(time.time()))

    def on_test_start(self, **_kwargs) -> None:
        self.run.put(PushLedger(self.run.settings.push_deadline))
        self.sweeper = gevent.spawn(self.sweep)

    def on_test_stop(self, **_kwargs) -> None:
        if self.sweeper is not None:
            self.sweeper.kill(block=False)
        ledger = push_ledger_for(self.environment)
        report_lost(self.environment, ledger.expire(time.time()))
        ledger.settle_early()
        self.figures.publish(DeliveryFigures(ledger.counts, ledger.pending_pushes(), processes=1))

    def on_gauges(self, gauges: dict, **_kwargs) -> None:
        gauges[names.GAUGE_WS_SESSIONS] = push_ledger_for(self.environment).subscribed

    def on_quit(self, **_kwargs) -> None:
        summed = self.figures.merged(DeliveryFigures())
        if summed.counts.expected > 0:
            entry = names.PUSH_ROW.entry(self.environment.stats)
            workers = summed.processes if self.run.is_master else 0
            logger.info(summary_line(summed.counts, summed.unsettled, entry, workers))

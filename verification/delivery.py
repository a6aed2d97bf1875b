"""Push delivery in a run: the per-process push ledger, its deadlines, and the run's push figures.

Register from the locustfile (``verification.hooks`` does)::

    events.init.add_listener(PushDelivery.register)

Where users run, a fresh ``PushLedger`` (``--push-deadline``) and ``PushFigures`` start with each test; a write
is noted just before it is sent (``note_write``, ``cancel_write`` if it fails) and every ``context_updated`` a
session gets is judged (``verification.push_ledger``). Every half second, writes past their deadline are
settled. Receipts are not requests: they never enter Locust's request statistics (whose Aggregated row counts
what the users send). The figures go instead to:

* the monitor, through the custom event ``common.names.GAUGES_EVENT`` (``push`` and ``ws_sessions``): its rules
  (``push_p95_ms``, ``push_reach_percent``, ``lost_pushes``, ...), web UI, export and JUnit;
* with ``--csv PREFIX``, ``PREFIX_push_stats.csv`` and ``PREFIX_push_stats_history.csv`` beside Locust's, in
  Locust's own formats, which ``python -m reports`` reads and compares (``verification.push_csv``);
* one line after Locust's tables; lost pushes make the exit code 1, like failed requests.

Workers send their figures to the master (``common.worker_figures``): every 2 s for the live view, and once
when their test stops; HdrHistograms merge exactly. The master (or local process) logs::

    Push delivery: 12000 expected, 11998 delivered, 2 lost, 0 duplicated, 0 out of order; latency from the
    write's send p50 2.4 ms, p95 4.6 ms, p99 6.9 ms, max 12 ms; reach 99.98% (lowest 80%); all subscribers
    had it after p50 3.1 ms, p95 5.2 ms                                        (one line in the log)
"""

import logging
import time
from dataclasses import dataclass, field

import gevent

from common import names
from common.output_failures import OutputFailures
from common.run import Run
from common.worker_figures import WorkerFigures
from verification.push_csv import PushCsv
from verification.push_figures import PushFigures
from verification.push_ledger import PendingWrite, PushLedger

logger = logging.getLogger(__name__)

SWEEP_SECONDS = 0.5
NOT_JUDGED = {"foreign": "from other writers", "late": "late", "malformed": "malformed", "unjudged": "of catalog keys"}
LIVE_SECONDS = 2.0


def push_ledger_for(environment) -> PushLedger:
    """This run's push ledger (a fresh one at each test start)."""
    run = Run.of(environment)
    return run.get(PushLedger, lambda: PushLedger(run.settings.push_deadline))


def note_write(environment, key: str, value, sender: int | None = None) -> PendingWrite | None:
    """Call just before sending a write of this process: its pushes are timed from now."""
    return push_ledger_for(environment).expect(key, value, time.perf_counter(), sender)


def unjudged_write(environment, key: str) -> None:
    """A write of a value every process writes alike (the catalog): its pushes are counted, not judged."""
    push_ledger_for(environment).unjudged(key)


def cancel_write(environment, write: PendingWrite | None) -> None:
    """The write noted was not acknowledged: its pushes are no longer expected."""
    push_ledger_for(environment).cancel(write)


@dataclass
class DeliveryFigures:
    """One process's push figures, with the pushes still within their deadline when its test stopped."""

    figures: PushFigures = field(default_factory=PushFigures)
    unsettled: int = 0
    processes: int = 0

    def __add__(self, other: "DeliveryFigures") -> "DeliveryFigures":
        return DeliveryFigures(
            self.figures + other.figures, self.unsettled + other.unsettled, self.processes + other.processes
        )

    def to_dict(self) -> dict:
        return {"figures": self.figures.to_dict(), "unsettled": self.unsettled, "processes": self.processes}

    @classmethod
    def from_dict(cls, data: dict) -> "DeliveryFigures":
        return cls(PushFigures.from_dict(data["figures"]), data["unsettled"], data["processes"])


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3g} ms" if value < 100 else f"{value:.0f} ms"


def summary_line(summed: DeliveryFigures, workers: int = 0) -> str:
    figures, counts = summed.figures, summed.figures.counts
    line = (
        f"Push delivery: {counts['expected']} expected, {counts['delivered']} delivered, {counts['lost']} lost, "
        f"{counts['duplicated']} duplicated, {counts['out_of_order']} out of order"
    )
    if summed.unsettled:
        line += f" ({summed.unsettled} unsettled when the test stopped)"
    if counts["delivered"]:
        line += (
            f"; latency from the write's send p50 {_ms(figures.latency_ms(0.5))}, p95 {_ms(figures.latency_ms(0.95))}"
            f", p99 {_ms(figures.latency_ms(0.99))}, max {_ms(figures.latency_ms(1.0))}"
        )
    if figures.reach_percent is not None:
        line += f"; reach {figures.reach_percent:.2f}% (lowest {100 * figures.reach_lowest:.0f}%)"
    if counts["writes_complete"]:
        line += f"; all subscribers had it after p50 {_ms(figures.fanout_ms(0.5))}, p95 {_ms(figures.fanout_ms(0.95))}"
    others = [f"{counts[name]} {label}" for name, label in NOT_JUDGED.items() if counts[name]]
    if others:
        line += "; not judged: " + ", ".join(others)
    if workers > 1:
        line += f"; summed over {workers} workers"
    return line


class PushDelivery:
    """Push delivery's listeners for one run: settle deadlines where users run, sum and report centrally."""

    def __init__(self, environment):
        self.environment = environment
        self.run = Run.of(environment)
        self.greenlets: list[gevent.Greenlet] = []
        options = {"encode": DeliveryFigures.to_dict, "decode": DeliveryFigures.from_dict}
        self.final = WorkerFigures(environment, names.PUSH_DELIVERY_MESSAGE, **options)
        self.live = WorkerFigures(environment, names.PUSH_LIVE_MESSAGE, final=False, **options)
        self.csv = PushCsv(environment, self.current)

    @classmethod
    def register(cls, environment, **_kwargs) -> "PushDelivery":
        """An ``init`` listener."""
        delivery = Run.of(environment).put(cls(environment))
        events = environment.events
        gauges = getattr(events, names.GAUGES_EVENT, None)  # a monitor asks for gauges through it, when there is one
        if gauges is not None:
            gauges.add_listener(delivery.on_gauges)
        if delivery.run.runs_users:
            events.test_start.add_listener(delivery.on_test_start)
            events.test_stop.add_listener(delivery.on_test_stop)
        if not delivery.run.is_worker:
            events.quitting.add_listener(delivery.on_quitting)
            events.quit.add_listener(delivery.on_quit)
        return delivery

    def ledger(self) -> PushLedger:
        return push_ledger_for(self.environment)

    def current(self) -> DeliveryFigures:
        """The run's figures so far: this process's, or on a master the workers' latest, summed."""
        if self.run.is_master:
            return self.live.merged(DeliveryFigures())
        return DeliveryFigures(self.ledger().figures, self.ledger().pending_pushes(), 1)

    def sweep(self) -> None:
        while True:
            gevent.sleep(SWEEP_SECONDS)
            self.ledger().expire(time.perf_counter())

    def publish_live(self) -> None:
        while True:
            gevent.sleep(LIVE_SECONDS)
            self.live.publish(self.current())

    def on_test_start(self, **_kwargs) -> None:
        self.run.put(PushLedger(self.run.settings.push_deadline))
        self.greenlets = [gevent.spawn(self.sweep)]
        if self.run.is_worker:
            self.greenlets.append(gevent.spawn(self.publish_live))

    def on_test_stop(self, **_kwargs) -> None:
        for greenlet in self.greenlets:
            greenlet.kill(block=False)
        self.ledger().expire(time.perf_counter())
        self.final.publish(self.current())

    def on_gauges(self, gauges: dict, **_kwargs) -> None:
        if self.run.runs_users:
            gauges[names.GAUGE_WS_SESSIONS] = self.ledger().subscribed
        if not self.run.is_worker:
            gauges[names.GAUGE_PUSH] = self.summed().figures.monitor_figures()

    def summed(self) -> DeliveryFigures:
        """The final figures once the test stopped, else the figures so far."""
        return self.final.merged(DeliveryFigures()) if self.final.published else self.current()

    def on_quitting(self, environment, **_kwargs) -> None:
        lost = self.summed().figures.counts["lost"]
        # Receipts are not requests, so Locust does not see lost pushes: they fail the run as failed requests do.
        if lost and environment.process_exit_code is None:
            environment.process_exit_code = getattr(environment.parsed_options, "exit_code_on_error", 1) or 1
        try:  # at quitting, not quit: a file that cannot be written still decides the exit code (5)
            self.csv.close(self.summed())
        except OSError as exc:
            OutputFailures.note(environment, "--csv", self.csv.prefix, exc)

    def on_quit(self, **_kwargs) -> None:
        summed = self.summed()
        if summed.figures.counts["expected"] or summed.figures.counts["delivered"]:
            logger.info(summary_line(summed, summed.processes if self.run.is_master else 0))

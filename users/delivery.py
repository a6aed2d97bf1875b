"""Push delivery accounting in a run: the per-process push ledger, its deadlines, its summary.

Register from the locustfile (``users.hooks`` does), before the audit, so that a worker's
delivery figures reach the master ahead of its audit::

    events.init.add_listener(delivery.register)

Where users run, a fresh ``PushLedger`` (``--push-deadline``) starts with each test; every half
second, pushes past their deadline are settled, and each lost one is a failure of the row
``WS push context_updated``. When the test stops, pushes still within their deadline are not
judged (their sessions closed with the test) and are reported as unsettled. Workers send their
counts to the master, which sums them. The number of subscribed sessions is offered to a monitor
through the custom event ``ctxload_gauges``. The master (or local process) logs, after Locust's tables::

    Push delivery: 12000 expected, 11998 delivered, 2 lost, 0 duplicated, 0 out of order;
    push latency p50 3 ms, p95 8 ms, p99 12 ms        (one line in the log)
"""

import logging
import time
import weakref
from dataclasses import asdict

import gevent
from locust.runners import MasterRunner, WorkerRunner

from users.options import Settings
from users.push_ledger import PushCounts, PushLedger

logger = logging.getLogger(__name__)

MESSAGE = "ctxload_push_delivery"
GAUGES_EVENT = "ctxload_gauges"  # fired by a monitor with gauges={}; we fill in "ws_sessions"
ROW = ("WS", "WS push context_updated")
SWEEP_SECONDS = 0.5
_ledgers: "weakref.WeakKeyDictionary[object, PushLedger]" = weakref.WeakKeyDictionary()


class PushLost(Exception):
    """A subscribed session did not receive a write's context_updated within the deadline."""


def push_ledger_for(environment) -> PushLedger:
    if environment not in _ledgers:
        _ledgers[environment] = PushLedger(Settings.from_options(environment.parsed_options).push_deadline)
    return _ledgers[environment]


def expect_push(
    environment, key: str, value, acked_at: float, sender: int | None = None, sent_at: float | None = None
) -> None:
    """Note an acknowledged write of this process; report pushes of it that arrived first."""
    for latency in push_ledger_for(environment).expect(key, value, acked_at, sender, sent_at):
        report_delivered(environment, latency, size=0)


def report_delivered(environment, latency_seconds: float, size: int, session: str | None = None) -> None:
    environment.events.request.fire(
        request_type=ROW[0],
        name=ROW[1],
        response_time=latency_seconds * 1000,
        response_length=size,
        exception=None,
        context={"session": session} if session else {},
    )


def report_lost(environment, count: int) -> None:
    for _ in range(count):
        environment.events.request.fire(
            request_type=ROW[0],
            name=ROW[1],
            response_time=None,
            response_length=0,
            exception=PushLost("context_updated not received within --push-deadline"),
            context={},
        )


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


def register(environment, **_kwargs) -> None:
    runner = environment.runner
    state = {"counts": PushCounts(), "unsettled": 0, "sweeper": None, "any": False, "workers": 0}

    def sweep():
        while True:
            gevent.sleep(SWEEP_SECONDS)
            report_lost(environment, push_ledger_for(environment).expire(time.time()))

    def on_test_start(**_kw):
        state.update(counts=PushCounts(), unsettled=0, any=False, workers=0)
        _ledgers[environment] = PushLedger(Settings.from_options(environment.parsed_options).push_deadline)
        if not isinstance(runner, MasterRunner):
            state["sweeper"] = gevent.spawn(sweep)

    def on_test_stop(**_kw):
        if isinstance(runner, MasterRunner):
            return
        if state["sweeper"] is not None:
            state["sweeper"].kill(block=False)
        ledger = push_ledger_for(environment)
        report_lost(environment, ledger.expire(time.time()))
        ledger.settle_early()
        unsettled = ledger.pending_pushes()
        if isinstance(runner, WorkerRunner):
            runner.send_message(MESSAGE, {"counts": asdict(ledger.counts), "unsettled": unsettled})
        else:
            state.update(counts=ledger.counts, unsettled=unsettled, any=ledger.counts.expected > 0)

    def on_worker_counts(msg, **_kw):
        state["counts"] = state["counts"] + PushCounts(**msg.data["counts"])
        state["unsettled"] += msg.data["unsettled"]
        state["workers"] += 1
        state["any"] = state["any"] or state["counts"].expected > 0

    def on_quit(**_kw):
        if state["any"]:
            entry = environment.stats.entries.get((ROW[1], ROW[0]))
            logger.info(summary_line(state["counts"], state["unsettled"], entry, state["workers"]))

    def on_gauges(gauges: dict, **_kw):
        gauges["ws_sessions"] = push_ledger_for(environment).subscribed

    environment.events.test_start.add_listener(on_test_start)
    environment.events.test_stop.add_listener(on_test_stop)
    # A monitor asks for gauges through this custom event, when one is registered (users never import it).
    if getattr(environment.events, GAUGES_EVENT, None) is not None:
        getattr(environment.events, GAUGES_EVENT).add_listener(on_gauges)
    if isinstance(runner, MasterRunner):
        runner.register_message(MESSAGE, on_worker_counts)
    if not isinstance(runner, WorkerRunner):
        environment.events.quit.add_listener(on_quit)

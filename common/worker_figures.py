"""Each worker's figures, sent to the master, merged there, reported once: the one way ctxload does it.

Where users run, a part publishes its figures; where the run is reported (the master, or a local
runner), they are kept per process and merged::

    audits = WorkerFigures(environment, names.AUDIT_MESSAGE, encode=asdict, decode=lambda d: AuditResult(**d))
    audits.publish(result)          # a worker sends it to the master (a Locust message); a local runner keeps it
    audits.merged(AuditResult())    # the master: every worker's latest figures, summed with `merge` (+)
    audits.by_process()             # {"<worker id>": AuditResult, ...}, or {"local": ...}
    audits.missing()                # workers seen this test that never published (they died)

A local runner's figures go through ``encode`` and ``decode`` too, so what a single process shows is
what crosses between processes. Figures are reset at each test start.

``final=True`` (the default) marks figures a worker publishes once, when its test stops (the audit,
push delivery, paced mode). When a test stops, the master first stops the workers still running
(on ``quit``, Locust tells them nothing before it fires ``test_stop``, and gives their last messages
half a second), waits until every live worker has published every final kind of figures (at most
``--audit-timeout`` + 15 s: the audit is the slowest), then tells the workers it stopped to quit.
Periodic figures (``final=False``, the monitor's samples) are only kept, latest first.
"""

import functools
import operator
import time
from collections.abc import Callable
from typing import Generic, TypeVar

import gevent
from locust.rpc import Message
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING

from common.run import LOCAL, Run

T = TypeVar("T")
WORKER_GRACE = 15  # seconds the master waits for workers' final figures beyond --audit-timeout


class FinalFigures:
    """The kinds of final figures of a run, which its master collects when a test stops."""

    def __init__(self):
        self.kinds: list[WorkerFigures] = []
        self.registered = False

    def awaited(self, live: set[str]) -> set[str]:
        return set().union(*(kind.awaited(live) for kind in self.kinds)) if self.kinds else set()


class FiguresByProcess(Generic[T]):
    """Each process's latest figures of one kind, when they came, and their merge. No Locust, no I/O."""

    def __init__(self, decode: Callable[[object], T] = lambda data: data, merge: Callable[[T, T], T] = operator.add):
        self.decode, self.merge = decode, merge
        self._figures: dict[str, T] = {}
        self._received: dict[str, float] = {}
        self._seen: set[str] = set()

    def clear(self, seen: set[str] = frozenset()) -> None:
        """Forget every figure; ``seen``: the workers expected to publish."""
        self._figures.clear()
        self._received.clear()
        self._seen = set(seen)

    def receive(self, process: str, data, now: float | None = None) -> None:
        self._figures[process] = self.decode(data)
        self._received[process] = time.time() if now is None else now
        self._seen.add(process)

    def see(self, process: str) -> None:
        """A worker took part (it reported to the master), whether or not it publishes."""
        self._seen.add(process)

    def by_process(self) -> dict[str, T]:
        return dict(self._figures)

    def received_at(self, process: str) -> float | None:
        return self._received.get(process)

    def forget(self, process: str) -> None:
        self._figures.pop(process, None)
        self._received.pop(process, None)

    @property
    def published(self) -> bool:
        return bool(self._figures)

    def merged(self, start: T) -> T:
        return functools.reduce(self.merge, self._figures.values(), start)

    def missing(self) -> set[str]:
        """Workers seen this test (live at its start, or reporting to the master) that never published."""
        return self._seen - set(self._figures) - {LOCAL}

    def awaited(self, live: set[str]) -> set[str]:
        """Of the ``live`` workers, those that have not published yet."""
        return live - set(self._figures)


class WorkerFigures(FiguresByProcess[T]):
    """``FiguresByProcess`` wired to a run: published where users run, kept where the run is reported."""

    def __init__(
        self,
        environment,
        message: str,
        *,
        encode: Callable[[T], object] = lambda figures: figures,
        decode: Callable[[object], T] = lambda data: data,
        merge: Callable[[T, T], T] = operator.add,
        final: bool = True,
    ):
        super().__init__(decode, merge)
        self.environment = environment
        self.run = Run.of(environment)
        self.message = message
        self.encode = encode
        environment.events.test_start.add_listener(self.reset)
        if self.run.is_master:
            environment.runner.register_message(message, self.on_message)
            environment.events.worker_report.add_listener(self.on_worker_report)
            if final:
                self._register_final()

    # -- where users run -------------------------------------------------------------------------------
    def publish(self, figures: T) -> None:
        if self.run.is_worker:
            self.environment.runner.send_message(self.message, self.encode(figures))
        else:
            self.receive(LOCAL, self.encode(figures))

    # -- where the run is reported ---------------------------------------------------------------------
    def reset(self, **_kwargs) -> None:
        """A ``test_start`` listener: forget the last test's figures; note the workers taking part."""
        self.clear(self._live_workers() if self.run.is_master else set())

    def on_message(self, msg, **_kwargs) -> None:
        self.receive(msg.node_id, msg.data)

    def on_worker_report(self, client_id, **_kwargs) -> None:
        self.see(client_id)

    # -- the master's collection at test stop ----------------------------------------------------------
    def _register_final(self) -> None:
        final = self.run.get(FinalFigures)
        final.kinds.append(self)
        if not final.registered:
            final.registered = True
            self.environment.events.test_stop.add_listener(lambda **_kw: collect_final_figures(self.environment))

    def _live_workers(self) -> set[str]:
        return {client.id for client in self.environment.runner.clients.all if client.state != STATE_MISSING}


def collect_final_figures(environment, timeout: float | None = None) -> None:
    """On the master when a test stops: stop the workers still running, wait for their final figures
    (``timeout``, by default ``--audit-timeout`` + 15 s), then tell the workers stopped here to quit.

    Locust forgets a worker that reports it stopped, so those stopped here are also sent ``quit``.
    """
    run = Run.of(environment)
    runner = environment.runner
    final = run.get(FinalFigures)
    stopped_here = [client.id for client in runner.clients.all if client.state in (STATE_RUNNING, STATE_SPAWNING)]
    for client_id in stopped_here:
        runner.server.send_to_client(Message("stop", None, client_id))
    if timeout is None:
        timeout = run.settings.audit_timeout + WORKER_GRACE
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        live = {client.id for client in runner.clients.all if client.state != STATE_MISSING}
        if not final.awaited(live):
            break
        gevent.sleep(0.1)
    for client_id in stopped_here:
        runner.server.send_to_client(Message("quit", None, client_id))

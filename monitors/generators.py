"""The load generators a snapshot shows: this process, or a master's workers. Workers report by message.

On a worker (or a local runner), ``GeneratorReport`` samples this process once per interval::

    report = GeneratorReport(environment.events)
    gauges = report.gauges()        # {"ws_sessions": 40, "target_pid": 1234} as offered
    report.sample(now, gauges)      # {"process": {...}, "system": {...}, "ws_sessions": 40, "reported": <epoch>}

Gauges come from the other parts through the custom event ``common.names.GAUGES_EVENT`` (see
``monitors.hooks``): the monitor fires it with an empty dict and listeners fill it in
(``verification.delivery`` the subscribed sessions, ``ctxload.embedded_server`` the embedded server's pid).

A worker publishes its sample to the master through ``common.worker_figures`` (periodic figures,
the Locust message ``common.names.MONITOR_MESSAGE``); the master's ``WorkerTable`` shows the
latest of each worker and flags one that stopped reporting::

    table = WorkerTable(samples, silence_limit=5.0)   # samples: that WorkerFigures
    table.update(node_id, data, now)          # what the message handler does
    table.generators(now)                     # {"worker-1 (host_ab12)": {..., "missing": False}, ...}
    table.newly_missing(now)                  # ids that fell silent since the last call (log once)
    table.keep_only(ids_the_master_lists)     # a worker that quit cleanly is no longer shown
"""

import os

from common import names
from common.worker_figures import FiguresByProcess
from monitors.resources import ProcessProbe, system_sample


class GeneratorReport:
    def __init__(self, events):
        self.events = events
        self.probe = ProcessProbe(os.getpid())
        system_sample()  # psutil's first system-wide CPU figure only starts its interval

    def gauges(self) -> dict:
        gauges: dict = {}
        hook = getattr(self.events, names.GAUGES_EVENT, None)
        if hook is not None:
            hook.fire(gauges=gauges)
        return gauges

    def sample(self, now: float, gauges: dict) -> dict:
        return {
            "process": self.probe.sample(),
            "system": system_sample(),
            "ws_sessions": gauges.get(names.GAUGE_WS_SESSIONS),
            "reported": now,
        }


class WorkerTable:
    """The workers' latest samples, named in the order they first reported. ``samples`` keeps them
    (the run's ``WorkerFigures``; by default a store of the table's own)."""

    def __init__(self, silence_limit: float, samples: FiguresByProcess | None = None):
        self.silence_limit = silence_limit
        self.samples = samples if samples is not None else FiguresByProcess()
        self._names: dict[str, str] = {}
        self._said_missing: set[str] = set()

    def update(self, node_id: str, data: dict, now: float) -> None:
        self.samples.receive(node_id, data, now)

    def _name(self, node_id: str) -> str:
        if node_id not in self._names:
            self._names[node_id] = f"worker-{len(self._names) + 1} ({node_id})"
        return self._names[node_id]

    def keep_only(self, node_ids: set[str]) -> None:
        """Forget workers the master no longer lists (they quit cleanly); the silent ones stay flagged."""
        for node_id in set(self.samples.by_process()) - node_ids:
            self.samples.forget(node_id)

    def _missing(self, node_id: str, now: float) -> bool:
        return now - self.samples.received_at(node_id) > self.silence_limit

    def generators(self, now: float) -> dict[str, dict]:
        by_process = self.samples.by_process()
        for node_id in by_process:  # named in the order they first reported
            self._name(node_id)
        ordered = sorted(by_process, key=list(self._names).index)
        return {
            self._names[node_id]: {
                **by_process[node_id],
                "received": self.samples.received_at(node_id),
                "missing": self._missing(node_id, now),
            }
            for node_id in ordered
        }

    def newly_missing(self, now: float) -> list[str]:
        silent = [node for node in self.samples.by_process() if self._missing(node, now)]
        back = self._said_missing - set(silent)
        self._said_missing -= back
        fresh = [node for node in silent if node not in self._said_missing]
        self._said_missing.update(fresh)
        return [self._name(node) for node in fresh]

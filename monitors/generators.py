"""The load generators a snapshot shows: this process, or a master's workers. Workers report by message.

On a worker (or a local runner), ``GeneratorReport`` samples this process once per interval::

    report = GeneratorReport(environment.events)
    gauges = report.gauges()        # {"ws_sessions": 40, "target_pid": 1234} as offered
    report.sample(now, gauges)      # {"process": {...}, "system": {...}, "ws_sessions": 40, "reported": <epoch>}

Gauges come from the other parts through the custom event ``ctxload_gauges`` (see
``monitors.hooks``): the monitor fires it with an empty dict and listeners fill it in
(``users.delivery`` the subscribed sessions, ``target.embedded`` the embedded server's pid).

A worker sends its sample to the master as the Locust message ``ctxload_monitor``; the master's
``WorkerTable`` keeps the latest per worker and flags one that stopped reporting::

    table = WorkerTable(silence_limit=5.0)
    table.update(node_id, data, now)          # from the message handler
    table.generators(now)                     # {"worker-1 (host_ab12)": {..., "missing": False}, ...}
    table.newly_missing(now)                  # ids that fell silent since the last call (log once)
    table.keep_only(ids_the_master_lists)     # a worker that quit cleanly is no longer shown
"""

import os

from monitors.resources import ProcessProbe, system_sample

MESSAGE = "ctxload_monitor"
GAUGES_EVENT = "ctxload_gauges"


class GeneratorReport:
    def __init__(self, events):
        self.events = events
        self.probe = ProcessProbe(os.getpid())
        system_sample()  # psutil's first system-wide CPU figure only starts its interval

    def gauges(self) -> dict:
        gauges: dict = {}
        hook = getattr(self.events, GAUGES_EVENT, None)
        if hook is not None:
            hook.fire(gauges=gauges)
        return gauges

    def sample(self, now: float, gauges: dict) -> dict:
        return {
            "process": self.probe.sample(),
            "system": system_sample(),
            "ws_sessions": gauges.get("ws_sessions"),
            "reported": now,
        }


class WorkerTable:
    def __init__(self, silence_limit: float):
        self.silence_limit = silence_limit
        self._latest: dict[str, dict] = {}
        self._names: dict[str, str] = {}
        self._said_missing: set[str] = set()

    def update(self, node_id: str, data: dict, now: float) -> None:
        if node_id not in self._names:
            self._names[node_id] = f"worker-{len(self._names) + 1} ({node_id})"
        self._latest[node_id] = {**data, "received": now}
        self._said_missing.discard(node_id)

    def keep_only(self, node_ids: set[str]) -> None:
        """Forget workers the master no longer lists (they quit cleanly); the silent ones stay flagged."""
        for node_id in set(self._latest) - node_ids:
            del self._latest[node_id]

    def _missing(self, node_id: str, now: float) -> bool:
        return now - self._latest[node_id]["received"] > self.silence_limit

    def generators(self, now: float) -> dict[str, dict]:
        return {
            self._names[node_id]: {**data, "missing": self._missing(node_id, now)}
            for node_id, data in self._latest.items()
        }

    def newly_missing(self, now: float) -> list[str]:
        silent = [node for node in self._latest if self._missing(node, now) and node not in self._said_missing]
        self._said_missing.update(silent)
        return [self._names[node] for node in silent]

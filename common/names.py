"""The names the parts of ctxload pass to each other, in one place.

Parts never import each other across the design's lines (``monitors/`` never imports the traffic
or the verification, nor they it): what one knows and another needs travels under these names,
as Locust events, Locust messages between workers and master, or rows of Locust's statistics::

    from common import names

    names.AUDIT_READ_ROW.entry(environment.stats)    # the StatsEntry, or None
    names.LOST_WRITES_ROW.fire(environment.events, exception=LostWrite("..."))   # one failure
    environment.stats.get(*names.AUDIT_READ_ROW.get_args)  # made when absent
    getattr(environment.events, names.GAUGES_EVENT)  # the custom event the monitor fires
"""

from typing import NamedTuple

# A custom event on ``environment.events``: the monitor fires it with ``gauges={}`` once per
# interval, and the parts that know a gauge fill it in: ``ws_sessions`` and ``push`` (the run's push
# figures, verification.push_figures.PushFigures.monitor_figures; not on workers), ``target_pid``
# (the embedded reference server).
GAUGES_EVENT = "ctxload_gauges"
GAUGE_WS_SESSIONS = "ws_sessions"
GAUGE_PUSH = "push"
GAUGE_TARGET_PID = "target_pid"

# Locust messages from each worker to the master (common.worker_figures sends and merges them).
AUDIT_MESSAGE = "ctxload_audit"
PUSH_DELIVERY_MESSAGE = "ctxload_push_delivery"
PUSH_LIVE_MESSAGE = "ctxload_push_live"
PACED_MESSAGE = "ctxload_paced"
MONITOR_MESSAGE = "ctxload_monitor"


class Row(NamedTuple):
    """A row of Locust's statistics: its request type and its name."""

    request_type: str
    name: str

    @property
    def key(self) -> tuple[str, str]:
        """The key of ``RequestStats.entries``: (name, method)."""
        return self.name, self.request_type

    @property
    def get_args(self) -> tuple[str, str]:
        """The arguments of ``RequestStats.get``: (name, method)."""
        return self.name, self.request_type

    def entry(self, stats):
        """This row's ``StatsEntry`` in ``stats``, or None when no request made it."""
        return stats.entries.get(self.key)

    def fire(self, events, response_time=None, length: int = 0, exception=None, context=None) -> None:
        """Record one result in this row (Locust's ``request`` event); no time: a count or a failure."""
        events.request.fire(
            request_type=self.request_type,
            name=self.name,
            response_time=response_time,
            response_length=length,
            exception=exception,
            context=context or {},
        )


# Rows the verification makes and the monitor reads. (Pushes received are not rows: see GAUGE_PUSH.)
LOST_WRITES_ROW = Row("AUDIT", "lost writes")  # one failure per acknowledged write the audit found lost
AUDIT_READ_ROW = Row("GET", "GET /ctx (audit)")
CANARY_WRITE_ROW = Row("POST", "POST /ctx (canary)")
CANARY_READ_ROW = Row("GET", "GET /ctx (canary)")

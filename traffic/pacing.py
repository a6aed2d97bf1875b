"""Paced (open-model) mode: fixed start times, schedule lag, latency from the intended start.

With ``--pace P``, each ``ContextUser`` starts iteration ``k`` at ``t0 + k*P`` (``t0`` being its
first iteration), however long earlier iterations took: a slow server makes the schedule slip
instead of silently lowering the load (coordinated omission). As wrk2 does, the suite then
reports, beside Locust's ordinary figures:

* ``schedule lag``: actual start of an iteration minus its intended start;
* per endpoint, the latency measured from the intended start of its iteration (the
  ``Aggregated`` row sums these, not the lag).

These go into their own statistics (not Locust's, whose totals they would double), printed as
a table when Locust quits and, with ``--csv PREFIX``, written to ``PREFIX_paced.csv``. Workers
send theirs to the master when their test stops, which merges them (``common.worker_figures``).
Register from the locustfile (``traffic.hooks`` does)::

    events.init.add_listener(PacedFigures.register)
"""

import csv
import logging
import time

from locust.stats import RequestStats, StatsEntry, print_percentile_stats, print_stats

from common import names
from common.output_failures import OutputFailures
from common.output_files import output_file
from common.run import Run
from common.worker_figures import WorkerFigures

logger = logging.getLogger(__name__)

LAG = ("PACED", "schedule lag")


def paced_stats(environment) -> RequestStats | None:
    """The run's paced figures, merged over its processes (None until ``PacedFigures.register`` ran)."""
    figures = Run.of(environment).find(PacedFigures)
    return None if figures is None else figures.merged()


class Pacer:
    """The schedule of one user: use ``wait`` as its ``wait_time`` and ``context`` as its context."""

    def __init__(self, interval: float, clock=time.time):
        self.interval = interval
        self.clock = clock
        self.first_start = clock()
        self.iteration = 0
        self.lag_logged_for = -1

    @property
    def intended_start(self) -> float:
        return self.first_start + self.iteration * self.interval

    def wait(self) -> float:
        self.iteration += 1
        return max(0.0, self.intended_start - self.clock())

    def context(self) -> dict:
        return {"paced_intended_start": self.intended_start, "paced_iteration": self.iteration, "pacer": self}


def record(
    stats: RequestStats, request_type, name, response_time, response_length, context, start_time=None, **_kwargs
) -> None:
    """Log one request into the paced statistics, and the lag of its iteration's first request."""
    intended = (context or {}).get("paced_intended_start")
    if intended is None or response_time is None or start_time is None:
        return
    pacer = context["pacer"]
    if pacer.lag_logged_for != context["paced_iteration"]:
        pacer.lag_logged_for = context["paced_iteration"]
        # Logged on the entry only: the lag must not count in the latency total.
        stats.get(LAG[1], LAG[0]).log(max(0.0, (start_time - intended) * 1000), 0)
    from_intended_ms = (start_time - intended) * 1000 + response_time
    stats.log_request(request_type, name, max(from_intended_ms, response_time), response_length or 0)


def write_csv(stats: RequestStats, path: str) -> None:
    columns = ["Type", "Name", "Request Count", "Average (ms)", "50%", "90%", "95%", "99%", "99.9%", "Max (ms)"]
    with output_file(path, text=True) as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for entry in [*sorted(stats.entries.values(), key=lambda e: (e.method, e.name)), stats.total]:
            writer.writerow(
                [
                    entry.method or "",
                    entry.name,
                    entry.num_requests,
                    round(entry.avg_response_time, 2),
                    *(entry.get_response_time_percentile(p) for p in (0.5, 0.9, 0.95, 0.99, 0.999)),
                    entry.max_response_time,
                ]
            )


def serialize(stats: RequestStats) -> list[dict]:
    return [entry.serialize() for entry in stats.entries.values()]


def merged_stats(entries: list[dict]) -> RequestStats:
    """Statistics from serialized entries of one or more processes; the total leaves the lag out."""
    stats = RequestStats(use_response_times_cache=False)
    for serialized in entries:
        entry = StatsEntry.unserialize(serialized, stats)
        stats.get(entry.name, entry.method).extend(entry)
        if (entry.method, entry.name) != LAG:
            stats.total.extend(entry)
    return stats


class PacedFigures:
    """Paced mode's figures in one run: recorded where users run, merged and reported centrally."""

    def __init__(self, environment):
        self.environment = environment
        self.run = Run.of(environment)
        self.stats = RequestStats(use_response_times_cache=False)  # this process's
        self.figures = WorkerFigures(environment, names.PACED_MESSAGE, merge=list.__add__)

    @classmethod
    def register(cls, environment, **_kwargs) -> "PacedFigures":
        """An ``init`` listener."""
        paced = Run.of(environment).put(cls(environment))
        events = environment.events
        if paced.run.runs_users:
            events.test_start.add_listener(lambda **_kw: paced.stats.reset_all())
            events.request.add_listener(lambda **kw: record(paced.stats, **kw))
            events.test_stop.add_listener(paced.on_test_stop)
        if not paced.run.is_worker:
            events.quit.add_listener(paced.on_quit)
            events.quitting.add_listener(paced.on_quitting)
        return paced

    def on_test_stop(self, **_kwargs) -> None:
        self.figures.publish(serialize(self.stats))  # empty when not paced: the master waits for every kind

    def merged(self) -> RequestStats:
        return merged_stats(self.figures.merged([]))

    def on_quit(self, **_kwargs) -> None:
        stats = self.merged()
        if not stats.entries:
            return
        logger.info("Paced mode (--pace): schedule lag, and latency measured from each iteration's intended start")
        print_stats(stats, current=False)
        print_percentile_stats(stats)

    def on_quitting(self, environment, **_kwargs) -> None:
        """The CSV at quitting, not quit: a file that cannot be written still decides the exit code (5)."""
        stats = self.merged()
        prefix = getattr(environment.parsed_options, "csv_prefix", None)
        if prefix and stats.entries:
            try:
                write_csv(stats, f"{prefix}_paced.csv")
            except OSError as exc:
                OutputFailures.note(environment, "--csv", f"{prefix}_paced.csv", exc)

"""The soak shape's periodic one-line summary in the log.

Register from the locustfile (an ``init`` listener); it does nothing unless ``--shape soak``::

    events.init.add_listener(SoakSummary.register)

While a test runs, the master (or the local process) logs every ``--summary-every`` seconds::

    Soak 0:10:00: 200 users, 812.4 req/s now, 0.00% failed so far, p95 now 14 ms, 487,310 requests
"""

import datetime
import logging

import gevent

from common.run import Run

logger = logging.getLogger(__name__)


def summary_line(runner, elapsed_seconds: float) -> str:
    total = runner.stats.total
    p95 = total.get_current_response_time_percentile(0.95)
    return (
        f"Soak {datetime.timedelta(seconds=round(elapsed_seconds))}: {runner.user_count} users, "
        f"{total.current_rps:.1f} req/s now, {total.fail_ratio:.2%} failed so far, "
        f"p95 now {p95 if p95 is not None else '-'} ms, {total.num_requests:,} requests"
    )


class SoakSummary:
    """The soak shape's periodic summary in one run (master or local process)."""

    def __init__(self, environment):
        self.environment = environment
        self.reporter: gevent.Greenlet | None = None

    @classmethod
    def register(cls, environment, **_kwargs) -> "SoakSummary | None":
        """An ``init`` listener; nothing unless ``--shape soak`` (and not on a worker)."""
        run = Run.of(environment)
        settings = run.settings
        if settings.shape != "soak" or run.is_worker or not settings.summary_every:
            return None
        summary = run.put(cls(environment))
        environment.events.test_start.add_listener(summary.on_test_start)
        environment.events.test_stop.add_listener(summary.on_test_stop)
        return summary

    def report_periodically(self) -> None:
        every = Run.of(self.environment).settings.summary_every
        elapsed = 0.0
        while True:
            gevent.sleep(every)
            elapsed += every
            logger.info(summary_line(self.environment.runner, elapsed))

    def on_test_start(self, **_kwargs) -> None:
        self.reporter = gevent.spawn(self.report_periodically)

    def on_test_stop(self, **_kwargs) -> None:
        if self.reporter is not None:
            self.reporter.kill(block=False)

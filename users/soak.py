"""The soak shape's periodic one-line summary in the log.

Register from the locustfile (an ``init`` listener); it does nothing unless ``--shape soak``::

    events.init.add_listener(soak.register)

While a test runs, the master (or the local process) logs every ``--summary-every`` seconds::

    Soak 0:10:00: 200 users, 812.4 req/s now, 0.00% failed so far, p95 now 14 ms, 487,310 requests
"""

import datetime
import logging

import gevent
from locust.runners import WorkerRunner

from users.options import Settings

logger = logging.getLogger(__name__)


def summary_line(runner, elapsed_seconds: float) -> str:
    total = runner.stats.total
    p95 = total.get_current_response_time_percentile(0.95)
    return (
        f"Soak {datetime.timedelta(seconds=round(elapsed_seconds))}: {runner.user_count} users, "
        f"{total.current_rps:.1f} req/s now, {total.fail_ratio:.2%} failed so far, "
        f"p95 now {p95 if p95 is not None else '-'} ms, {total.num_requests:,} requests"
    )


def register(environment, **_kwargs) -> None:
    settings = Settings.from_options(environment.parsed_options)
    if settings.shape != "soak" or isinstance(environment.runner, WorkerRunner) or not settings.summary_every:
        return
    reporter: dict[str, gevent.Greenlet | None] = {"greenlet": None}

    def report_periodically():
        elapsed = 0.0
        while True:
            gevent.sleep(settings.summary_every)
            elapsed += settings.summary_every
            logger.info(summary_line(environment.runner, elapsed))

    def on_test_start(**_kw):
        reporter["greenlet"] = gevent.spawn(report_periodically)

    def on_test_stop(**_kw):
        if reporter["greenlet"] is not None:
            reporter["greenlet"].kill(block=False)

    environment.events.test_start.add_listener(on_test_start)
    environment.events.test_stop.add_listener(on_test_stop)

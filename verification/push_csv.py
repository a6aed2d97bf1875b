"""The push figures as CSV files beside Locust's ``--csv`` ones, in Locust's own formats (``reports`` reads them).

On the master or local process, with ``--csv PREFIX`` (``PushDelivery`` makes and closes it)::

    PREFIX_push_stats_history.csv   a row a second while the test runs, as Locust's _stats_history.csv
    PREFIX_push_stats.csv           at quit: the whole run, as Locust's _stats.csv

Rows (Type ``PUSH``):

* ``push context_updated``: one "request" per expected push that was settled: delivered (its time is the
  latency from the write's send to the receipt) or lost (a failure, without a time). ``Total Average Response
  Time`` is over the delivered ones, as Locust's averages leave out requests without a time.
* ``all subscribers had it``: one per settled write: its time is the fan-out, from the write's send until the
  last expected subscriber had it; a failure when some subscriber never got it.

The percentile columns of the history are ``N/A``: they are the run's cumulative ones in the stats file, and a
sliding window of them is not kept; reports use the history's exact totals (``reports.intervals``).
"""

import csv
import time
from collections import deque

import gevent
from locust.stats import CSV_STATS_INTERVAL_SEC, PERCENTILES_TO_REPORT

from common.output_files import output_file
from common.run import Run

PUSH_NAME, FANOUT_NAME, TYPE = "push context_updated", "all subscribers had it", "PUSH"
PERCENTILE_HEADERS = [f"{share * 100:g}%" for share in PERCENTILES_TO_REPORT]
TOTALS = ["Total Request Count", "Total Failure Count", "Total Median Response Time", "Total Average Response Time",
          "Total Min Response Time", "Total Max Response Time", "Total Average Content Size"]  # fmt: skip
HISTORY_HEADER = ["Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", *PERCENTILE_HEADERS, *TOTALS]
STATS_HEADER = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time", "Average Response Time",
                "Min Response Time", "Max Response Time", "Average Content Size", "Requests/s", "Failures/s",
                *PERCENTILE_HEADERS]  # fmt: skip
WINDOW_SECONDS = 10


class PushCsv:
    def __init__(self, environment, current):
        self.environment = environment
        self.current = current  # () -> DeliveryFigures so far
        self.prefix = None if Run.of(environment).is_worker else getattr(environment.parsed_options, "csv_prefix", None)
        self.handle = None
        self.writer_greenlet: gevent.Greenlet | None = None
        self.started = time.time()
        self._marks: deque = deque()
        if self.prefix:
            environment.events.test_start.add_listener(self.on_test_start)

    def on_test_start(self, **_kwargs) -> None:
        self.started = time.time()
        if self.handle is None:  # the first test truncates the file, as Locust does with its own
            self.handle = open(f"{self.prefix}_push_stats_history.csv", "w", newline="")  # noqa: SIM115 (kept open)
            csv.writer(self.handle).writerow(HISTORY_HEADER)
        if self.writer_greenlet is None:
            self.writer_greenlet = gevent.spawn(self._write_periodically)

    def _write_periodically(self) -> None:
        while True:
            gevent.sleep(CSV_STATS_INTERVAL_SEC)
            self.write_row()

    def write_row(self) -> None:
        figures = self.current().figures
        figures.flush()
        counts, now = figures.counts, time.time()
        settled = counts["delivered"] + counts["lost"]
        unfinished = counts["writes_settled"] - counts["writes_complete"]
        self._marks.append((now, settled, counts["lost"], counts["writes_settled"], unfinished))
        while len(self._marks) > 1 and self._marks[0][0] < now - WINDOW_SECONDS:
            self._marks.popleft()
        first = self._marks[0]
        seconds = max(now - first[0], 1e-9)
        runner = self.environment.runner
        users = runner.user_count if runner else 0
        writer = csv.writer(self.handle)
        rows = (
            (PUSH_NAME, settled - first[1], counts["lost"] - first[2],
             self._totals(figures.latency, figures.mean_latency_ms, settled, counts["lost"], counts["delivered"])),
            (FANOUT_NAME, counts["writes_settled"] - first[3], unfinished - first[4],
             self._totals(figures.fanout, figures.mean_fanout_ms, counts["writes_settled"], unfinished,
                          counts["writes_complete"])),
        )  # fmt: skip
        for name, requests, failures, totals in rows:
            writer.writerow([int(now), users, TYPE, name, f"{requests / seconds:.2f}", f"{failures / seconds:.2f}",
                             *["N/A"] * len(PERCENTILE_HEADERS), *totals])  # fmt: skip
        self.handle.flush()

    @staticmethod
    def _totals(histogram, mean_ms, requests: int, failures: int, timed: int) -> list:
        if not timed:
            return [requests, failures, 0, 0.0, 0, 0, 0]
        return [requests, failures, histogram.get_value_at_percentile(50) / 1000, mean_ms,
                histogram.get_value_at_percentile(0) / 1000, histogram.get_max_value() / 1000, 0]  # fmt: skip

    def close(self, summed) -> None:
        """At quit: a last history row, then the stats file (written whole, atomically)."""
        if not self.prefix:
            return
        if self.writer_greenlet is not None:
            self.writer_greenlet.kill(block=False)
        if self.handle is not None:
            self.write_row()
            self.handle.close()
        figures, counts = summed.figures, summed.figures.counts
        figures.flush()
        seconds = max(time.time() - self.started, 1e-9)
        fanout_mean = figures.mean_fanout_ms
        rows = [
            self._stats_row(PUSH_NAME, figures.latency, figures.mean_latency_ms, counts["delivered"] + counts["lost"],
                            counts["lost"], counts["delivered"], seconds),
            self._stats_row(FANOUT_NAME, figures.fanout, fanout_mean, counts["writes_settled"],
                            counts["writes_settled"] - counts["writes_complete"], counts["writes_complete"], seconds),
        ]  # fmt: skip
        with output_file(f"{self.prefix}_push_stats.csv", text=True) as handle:
            writer = csv.writer(handle)
            writer.writerow(STATS_HEADER)
            writer.writerows(rows)

    @staticmethod
    def _stats_row(name, histogram, mean_ms, requests, failures, timed, seconds) -> list:
        if not timed:
            return [TYPE, name, requests, failures, 0, 0.0, 0, 0, 0, requests / seconds, failures / seconds,
                    *["N/A"] * len(PERCENTILE_HEADERS)]  # fmt: skip
        percentiles = [histogram.get_value_at_percentile(share * 100) / 1000 for share in PERCENTILES_TO_REPORT]
        return [TYPE, name, requests, failures, percentiles[0], mean_ms, histogram.get_value_at_percentile(0) / 1000,
                histogram.get_max_value() / 1000, 0, requests / seconds, failures / seconds, *percentiles]  # fmt: skip

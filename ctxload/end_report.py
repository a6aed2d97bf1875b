"""``--report DIR``: one end-of-run report for CI, ``DIR/report.html`` (self-contained, opens offline) and its
Markdown twin ``DIR/report.md``.

Written when Locust quits (``quit``: the write audit and push delivery are settled, the exit code is known), by
the master in a distributed run. The verdict first, as the exit code says it: PASS, or FAIL with the code and
every reason (critical alerts, lost writes, lost pushes, failed requests, outputs lost); then the request
figures, failures and exceptions (``reports.summary``'s tables), the monitor's findings and plots, the trends of
the monitor's series, the write audit and push delivery lines, the alerts, and the run's settings.

Its figures come from files, through ``reports`` (which reads files only): Locust's CSV files and the monitor
export. Without ``--csv`` or ``--monitor-export``, the report has them written into DIR (``DIR/run_*``, with
``--csv-full-history``). Locust rewrites ``_stats.csv`` once a second; the report rewrites it (and the
failures and exceptions) once more at quit, so that its figures are the run's last::

    events.init_command_line_parser.add_listener(ReportSettings.add_arguments)
    events.init_command_line_parser.add_listener(end_report.install)   # before output_check.install
    events.init.add_listener(EndReport.register)
"""

import csv
import gc
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import locust
from locust.stats import StatsCSVFileWriter

from common.options import Options, option
from common.output_failures import OutputFailures
from common.run import Run
from common.settings import Settings
from monitors.hooks import RunMonitor
from monitors.options import MonitorSettings, path_or_none
from verification.audit import WriteAudit
from verification.delivery import PushDelivery, summary_line

logger = logging.getLogger(__name__)
PROJECT_ROOT = Path(__file__).resolve().parents[1]

EXIT_MEANINGS = {0: "pass", 1: "request failures", 2: "bad configuration or input", 3: "a critical threshold",
                 5: "an output was lost"}  # fmt: skip
RUN_SETTINGS = ("host", "num_users", "spawn_rate", "run_time", "tags", "exclude_tags", "locustfile", "processes",
                "expect_workers", "csv_prefix", "monitor_export", "thresholds")  # fmt: skip


@dataclass(frozen=True)
class ReportSettings(Options):
    title: ClassVar[str] = "End-of-run report"

    report: str | None = option(
        None,
        path_or_none,
        "write report.html (one self-contained page) and report.md into this folder when Locust quits: "
        "the verdict and its reasons first, then the figures, the monitor's plots, audit, delivery, alerts",
    )


def install(parser, **_kwargs) -> None:
    """An ``init_command_line_parser`` listener: with ``--report DIR``, the files it reads go to DIR unless given."""
    parse_known_args = parser.parse_known_args

    def with_report_files(*args, **kwargs):
        namespace, rest = parse_known_args(*args, **kwargs)
        folder = getattr(namespace, "report", None)
        if folder and not getattr(namespace, "worker", False):
            if not getattr(namespace, "csv_prefix", None):
                namespace.csv_prefix = os.path.join(folder, "run")
                namespace.stats_history_enabled = True
            if hasattr(namespace, "monitor_export") and not namespace.monitor_export:
                namespace.monitor_export = os.path.join(folder, "run")
        return namespace, rest

    parser.parse_known_args = with_report_files


class EndReport:
    def __init__(self, environment, folder: Path):
        self.environment = environment
        self.folder = folder
        self.run = Run.of(environment)

    @classmethod
    def register(cls, environment, **_kwargs) -> "EndReport | None":
        """An ``init`` listener (after the monitor's and verification's, whose ``quit`` listeners come first)."""
        settings = Run.of(environment).options(ReportSettings)
        if not settings.report or Run.of(environment).is_worker or environment.runner is None:
            return None
        report = Run.of(environment).put(cls(environment, Path(settings.report)))
        environment.events.quit.add_listener(report.on_quit)
        return report

    def on_quit(self, exit_code: int, **_kwargs) -> None:
        try:
            paths = self.write(exit_code)
        except OSError as exc:
            OutputFailures.note(self.environment, "--report", self.folder, exc)
            return
        except Exception:  # a report bug must not hide the run's own exit
            logger.exception("--report: the report could not be made")
            return
        logger.info("Report: %s", ", ".join(str(path) for path in paths))

    # -- the page -----------------------------------------------------------------------------------
    def write(self, exit_code: int) -> list[Path]:
        # Imported here: pandas and matplotlib cost every run (and every worker) ~1 s and ~60 MB otherwise. Locust
        # takes the locustfile's folder off sys.path once it has loaded it: the project's root is put back.
        if str(PROJECT_ROOT) not in sys.path:
            sys.path.append(str(PROJECT_ROOT))
        from reports.load import load_run
        from reports.monitor_trends import monitor_trends
        from reports.plots import latency_distribution, run_plots
        from reports.render import Page
        from reports.series import SteadyState
        from reports.summary import busiest, endpoint_table, exception_table, failure_table, monitor_sections

        prefix = self.environment.parsed_options.csv_prefix
        stale = self._final_csv(prefix)
        run = load_run(prefix, history_required=False)
        page = Page(f"ctxload run report: {self.environment.host}")
        self._verdict(page, exit_code)
        if stale:
            page.text(stale, warning=True)
        steady = SteadyState.of(run) if run.has_history else None
        totals = run.stats[run.stats["endpoint"] == "Aggregated"]
        if steady is not None:
            page.text(f"{run.max_users or 0:,} users at most, {run.duration_seconds / 60:.1f} minutes; "
                      f"warm-up: {steady.warmup.reason}.")  # fmt: skip
        page.table("Requests (whole run): the busiest endpoints", busiest(endpoint_table(run)))
        page.table("Failures (failed requests, most frequent first)", failure_table(run))
        page.table("Exceptions (errors raised in the locustfile)", exception_table(run))
        page.bullets(self._verification_lines() or ["No write audit or push delivery in this run."])
        monitor_sections(run, page)
        monitor_trends(run, page, confidence=0.95, min_change=0.10)
        if steady is not None:
            pngs = run_plots(run, steady, self.folder)
        else:
            pngs = {"Latency distribution": latency_distribution(run, self.folder / "latency_distribution.png")}
        for heading, png in pngs.items():
            page.plot(heading, png)
        page.table("Settings of the run", self._settings())
        page.text(f"Locust {locust.__version__}; {int(totals['requests'].sum()):,} requests in the CSV files "
                  f"({prefix}_*.csv), the monitor export beside them.")  # fmt: skip
        return [*page.write(self.folder / "report"), *pngs.values()]

    def _verdict(self, page, exit_code: int) -> None:
        meaning = EXIT_MEANINGS.get(exit_code, "failed")
        if exit_code == 0:
            page.text("Verdict: PASS (exit code 0).")
        else:
            page.text(f"Verdict: FAIL (exit code {exit_code}: {meaning}).", warning=True)
        reasons = self._reasons()
        page.bullets(reasons or ["No alert held, no write or push lost, no request failed."])

    def _reasons(self) -> list[str]:
        reasons = []
        monitor = self.run.find(RunMonitor)
        if monitor is not None and monitor.monitor is not None and monitor.verdict()["exit_code_monitor"]:
            reasons.append(f"Critical alert: {monitor.verdict()['summary']}")
        audit = self.run.find(WriteAudit)
        result = audit.summary() if audit is not None else None
        if result is not None and result.lost:
            reasons.append(f"{result.lost} acknowledged writes were lost (write audit)")
        delivery = self.run.find(PushDelivery)
        if delivery is not None and delivery.summed().figures.counts["lost"]:
            reasons.append(f"{delivery.summed().figures.counts['lost']} pushes were lost (push delivery)")
        total = self.environment.stats.total
        if total.num_failures:
            reasons.append(f"{total.num_failures} of {total.num_requests} requests failed")
        if self.environment.runner is not None and self.environment.runner.exceptions:
            reasons.append(f"{len(self.environment.runner.exceptions)} kinds of exception in the locustfile")
        reasons += [f"Output lost: {line}" for line in OutputFailures.of(self.environment).lines]
        return reasons

    def _verification_lines(self) -> list[str]:
        lines = []
        audit = self.run.find(WriteAudit)
        result = audit.summary() if audit is not None else None
        if result is not None:
            lines.append(result.summary_line())
        delivery = self.run.find(PushDelivery)
        if delivery is not None:
            summed = delivery.summed()
            if summed.figures.counts["expected"] or summed.figures.counts["delivered"]:
                lines.append(summary_line(summed, summed.processes))
        return lines

    def _settings(self):
        import pandas as pd

        options = self.environment.parsed_options
        rows = [(name, getattr(options, name, None)) for name in RUN_SETTINGS]
        for group in (Settings, MonitorSettings):  # ctxload's options that differ from their defaults
            rows += [(spec.name, getattr(options, spec.name, spec.default)) for spec in group.specs()
                     if getattr(options, spec.name, spec.default) != spec.default]  # fmt: skip
        shown = [(name, str(value)) for name, value in rows if value not in (None, "", [], False)]
        return pd.DataFrame(shown, columns=["setting", "value"])

    def _final_csv(self, prefix: str) -> str | None:
        """Locust's stats, failures and exceptions files as they are now, and its history flushed: Locust's writer
        rewrites them once a second, and the last second would be missing. Locust has no public call for one
        more write, so its writer's own row methods are used; without a writer (none found) nothing is done.

        Locust's ``--json-file`` clears the per-endpoint figures before ``quit`` (it serialises them with the
        call that resets a worker's figures): then the files are left as Locust last wrote them, and a warning
        says so."""
        stats = self.environment.stats
        if sum(entry.num_requests for entry in stats.entries.values()) != stats.total.num_requests:
            return ("Locust's --json-file cleared the per-endpoint figures before the report was made: "
                    "the endpoints' rows are as Locust last wrote them, up to a second before the end")  # fmt: skip
        for writer in (obj for obj in gc.get_objects() if isinstance(obj, StatsCSVFileWriter)):
            if writer.base_filepath != prefix or writer.requests_csv_filehandle.closed:
                continue
            writer.stats_history_flush()
            for handle, columns, rows in (
                (writer.requests_csv_filehandle, writer.requests_csv_columns, writer._requests_data_rows),
                (writer.failures_csv_filehandle, writer.failures_columns, writer._failures_data_rows),
                (writer.exceptions_csv_filehandle, writer.exceptions_columns, writer._exceptions_data_rows),
            ):
                handle.seek(0)
                rewriter = csv.writer(handle)
                rewriter.writerow(columns)
                rows(rewriter)
                handle.truncate()
                handle.flush()

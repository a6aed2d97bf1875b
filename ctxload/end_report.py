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

    events.init.add_listener(EndReport.register)   # after the monitor's and the verification's: its `quit` follows

Its options: ``ctxload.report_options``; a comparison with a stored baseline, when one is named:
``ctxload.baseline_gate`` (its lines and regressions are in the report).
"""

import logging
from pathlib import Path

import locust

from common.output_failures import OutputFailures
from common.run import Run
from common.settings import Settings
from ctxload.baseline_gate import BaselineGate
from ctxload.report_options import ReportSettings
from ctxload.run_files import final_csv, reports_importable
from monitors.hooks import RunMonitor
from monitors.options import MonitorSettings
from verification.audit import WriteAudit
from verification.delivery import PushDelivery, summary_line

logger = logging.getLogger(__name__)

EXIT_MEANINGS = {0: "pass", 1: "request failures", 2: "bad configuration or input", 3: "a critical threshold",
                 4: "a regression against the baseline", 5: "an output was lost"}  # fmt: skip
RUN_SETTINGS = ("host", "num_users", "spawn_rate", "run_time", "tags", "exclude_tags", "locustfile", "processes",
                "expect_workers", "csv_prefix", "monitor_export", "thresholds")  # fmt: skip


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
        except OSError as exc:  # at quit the exit code is decided: a lost report cannot make it 5, only be said
            logger.error("ctxload: --report %s: not written: %s (exit code stays %s)", self.folder,
                         exc.strerror or exc, exit_code)  # fmt: skip
            return
        except Exception:  # a report bug must not hide the run's own exit
            logger.exception("--report: the report could not be made")
            return
        logger.info("Report: %s", ", ".join(str(path) for path in paths))

    # -- the page -----------------------------------------------------------------------------------
    def write(self, exit_code: int) -> list[Path]:
        reports_importable()
        from reports.load import load_run
        from reports.monitor_trends import monitor_trends
        from reports.plots import latency_distribution, run_plots
        from reports.render import Page
        from reports.series import SteadyState
        from reports.summary import busiest, endpoint_table, exception_table, failure_table, monitor_sections

        prefix = self.environment.parsed_options.csv_prefix
        stale = final_csv(self.environment, prefix)
        run = load_run(prefix, history_required=False)
        page = Page(f"ctxload run report: {self.environment.host}")
        audit, pushes = self._settled()
        self._verdict(page, exit_code, self._reasons(audit, pushes))
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
        page.bullets(self._verification_lines(audit, pushes) or ["No write audit or push delivery in this run."])
        self._baseline(page)
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

    def _verdict(self, page, exit_code: int, reasons: list[str]) -> None:
        meaning = EXIT_MEANINGS.get(exit_code, "failed")
        if exit_code == 0:
            page.text("Verdict: PASS (exit code 0).")
        else:
            page.text(f"Verdict: FAIL (exit code {exit_code}: {meaning}).", warning=True)
        page.bullets(reasons or ["No alert held, no write or push lost, no request failed."])

    def _settled(self) -> tuple:
        """The write audit's result and the push figures, summed over the workers once (both sections read them)."""
        audit, delivery = self.run.find(WriteAudit), self.run.find(PushDelivery)
        return (audit.summary() if audit is not None else None), (delivery.summed() if delivery is not None else None)

    def _reasons(self, audit, pushes) -> list[str]:
        gate = self.run.find(BaselineGate)
        reasons = [f"Regression against baseline {gate.settings.compare_baseline}: {line.removeprefix('REGRESSION ')}"
                   for line in (gate.regressions if gate is not None else [])]  # fmt: skip
        monitor = self.run.find(RunMonitor)
        verdict = monitor.verdict() if monitor is not None and monitor.monitor is not None else None
        if verdict and verdict["exit_code_monitor"]:
            reasons.append(f"Critical alert: {verdict['summary']}")
        if audit is not None and audit.lost:
            reasons.append(f"{audit.lost} acknowledged writes were lost (write audit)")
        if pushes is not None and pushes.figures.counts["lost"]:
            reasons.append(f"{pushes.figures.counts['lost']} pushes were lost (push delivery)")
        total = self.environment.stats.total
        if total.num_failures:
            reasons.append(f"{total.num_failures} of {total.num_requests} requests failed")
        if self.environment.runner is not None and self.environment.runner.exceptions:
            reasons.append(f"{len(self.environment.runner.exceptions)} kinds of exception in the locustfile")
        reasons += [f"Output lost: {line}" for line in OutputFailures.of(self.environment).lines]
        return reasons

    def _baseline(self, page) -> None:
        gate = self.run.find(BaselineGate)
        if gate is None:
            return
        if gate.problem:
            page.text(gate.problem, warning=True)
            return
        lines = [line for line in gate.lines if not line.startswith("wrote ")]
        page.text(f"Against baseline {gate.settings.compare_baseline} (python -m reports compare; its page, "
                  f"plot and files in {Path(gate.settings.report) / 'compare'}):")  # fmt: skip
        page.bullets(lines or ["(no verdict lines)"])

    @staticmethod
    def _verification_lines(audit, pushes) -> list[str]:
        lines = [audit.summary_line()] if audit is not None else []
        if pushes is not None and (pushes.figures.counts["expected"] or pushes.figures.counts["delivered"]):
            lines.append(summary_line(pushes, pushes.processes))
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

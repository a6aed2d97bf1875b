"""The options of the end-of-run report and the baseline gate: ``--report``, ``--compare-baseline``, ``--baselines``.

    events.init_command_line_parser.add_listener(ReportSettings.add_arguments)
    events.init_command_line_parser.add_listener(report_options.install)   # before output_check.install

``install`` makes ``--report DIR`` name the files the report reads when they were not given: ``--csv DIR/run``
(with ``--csv-full-history``) and ``--monitor-export DIR/run``, while Locust parses, before it opens them.
"""

import os
from dataclasses import dataclass
from typing import ClassVar

from common.options import Options, option
from monitors.options import path_or_none


@dataclass(frozen=True)
class ReportSettings(Options):
    title: ClassVar[str] = "End-of-run report"

    report: str | None = option(
        None,
        path_or_none,
        "write report.html (one self-contained page) and report.md into this folder when Locust quits: "
        "the verdict and its reasons first, then the figures, the monitor's plots, audit, delivery, alerts",
    )
    compare_baseline: str | None = option(
        None,
        path_or_none,
        "with --report: compare the run with this baseline of 'python -m reports baseline save' when Locust "
        "quits; a regression is exit code 4 and the report's first reason",
    )
    baselines: str = option("baselines", str, "the baseline store of --compare-baseline")

    def check(self) -> None:
        if self.compare_baseline and not self.report:
            raise ValueError("--compare-baseline needs --report DIR (the comparison is written there)")


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

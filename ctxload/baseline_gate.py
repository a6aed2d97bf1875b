"""``--compare-baseline NAME`` (with ``--report DIR``): the run judged against a stored baseline as Locust quits.

A baseline is what ``python -m reports baseline save NAME PREFIX`` keeps (``--baselines DIR``, default
``baselines``). At the end of ``quitting`` (the users stopped, the write audit done) the run's files are compared
with it by ``python -m reports compare`` (the same code, in this process): its files go to ``DIR/compare/``, its
lines to the log and to ``--report``'s page, and a regression makes the exit code 4 unless another part already
set one (3: a critical alert, 5: an output lost, 1: lost writes or pushes; Locust's own 1 for failed requests is
decided after this, and a regression outranks it). An unknown baseline is refused at start (exit 2)::

    events.init.add_listener(BaselineGate.register)   # BEFORE monitors.register: see on_quitting
"""

import contextlib
import io
import logging
import sys
from pathlib import Path

from common.run import Run
from ctxload.report_options import ReportSettings
from ctxload.run_files import final_csv, reports_importable

logger = logging.getLogger(__name__)
EXIT_REGRESSION = 4


class BaselineGate:
    def __init__(self, environment, settings: ReportSettings):
        self.environment = environment
        self.settings = settings
        self.lines: list[str] = []  # what the comparison printed: verdict lines, REGRESSION lines, its files
        self.code: int | None = None  # 0, 4, or None when no comparison was made
        self.problem: str | None = None  # why not

    @classmethod
    def register(cls, environment, **_kwargs) -> "BaselineGate | None":
        """An ``init`` listener, registered before the monitor's and the verification's: Locust fires ``quitting``
        in reverse order of registration, so this one's comes last, after the audit has stopped the users."""
        run = Run.of(environment)
        settings = run.options(ReportSettings)
        if not settings.compare_baseline or run.is_worker or environment.runner is None:
            return None
        reports_importable()
        from reports.baselines import BaselineStore
        from reports.input_checks import ReportInputError

        try:
            BaselineStore(settings.baselines).history(settings.compare_baseline)
        except ReportInputError as exc:
            sys.stderr.write(f"locust: error: --compare-baseline: {exc}\n")
            sys.exit(2)
        gate = run.put(cls(environment, settings))
        environment.events.quitting.add_listener(gate.on_quitting)
        return gate

    def on_quitting(self, environment, **_kwargs) -> None:
        prefix = environment.parsed_options.csv_prefix
        out = Path(self.settings.report) / "compare"
        from reports.cli import execute, parser
        from reports.input_checks import ReportInputError

        final_csv(environment, prefix)
        arguments = ["compare", prefix, "--baseline", self.settings.compare_baseline,
                     "--baselines", self.settings.baselines, "--out", str(out)]  # fmt: skip
        printed = io.StringIO()
        try:
            with contextlib.redirect_stdout(printed):
                self.code = execute(parser().parse_args(arguments))
        except ReportInputError as exc:
            self.problem = f"no comparison with baseline {self.settings.compare_baseline!r}: {exc}"
            logger.error("%s", self.problem)
            return
        except Exception:  # a comparison bug must not hide the run's own exit
            self.problem = f"no comparison with baseline {self.settings.compare_baseline!r} (an error, logged)"
            logger.exception("--compare-baseline: the comparison failed")
            return
        self.lines = [line for line in printed.getvalue().splitlines() if line.strip()]
        for line in self.lines:
            logger.info("Baseline %s: %s", self.settings.compare_baseline, line)
        if self.code == EXIT_REGRESSION and environment.process_exit_code is None:
            environment.process_exit_code = EXIT_REGRESSION

    @property
    def regressions(self) -> list[str]:
        return [line for line in self.lines if line.startswith("REGRESSION ")]

"""A stored run's comparison figures: read from its ``meta.json``, or computed again from its files.

    figures = figures_of(stored_run, progress)    # reports.compare.RunFigures, labelled with the run
    figures_of_history(history, progress)         # every run's, oldest first; one that fails is a warning

``baseline save`` stores each run's figures with the compare method that made them; a run stored by another
method (or before figures were stored) is read again from its CSV files, which costs a load.
"""

from reports.compare import RunFigures
from reports.input_checks import ReportInputError
from reports.load import REPORT_HISTORY_COLUMNS, load_run
from reports.series import SteadyState


def figures_of_run(run, label: str | None = None) -> RunFigures:
    return RunFigures.of(run, SteadyState.of(run), label)


def figures_of(stored, progress=None) -> RunFigures:
    try:
        figures = RunFigures.from_dict(stored.label, stored.meta["figures"])
    except (KeyError, TypeError, ValueError):
        run = load_run(stored.prefix, progress, history_columns=REPORT_HISTORY_COLUMNS)
        figures = figures_of_run(run, stored.label)
    host = stored.meta.get("host")
    if host and host != "unknown":  # a host given to `baseline save --host` counts too
        figures.profile["host"] = host
    return figures


def figures_of_history(history, progress=None) -> tuple[list[RunFigures], list]:
    """The figures of every run that can be read, and the runs they came from (the same order)."""
    figures, runs = [], []
    for stored in history.runs:
        try:
            figures.append(figures_of(stored, progress))
            runs.append(stored)
        except ReportInputError as exc:
            history.warnings.append(f"baseline {history.name!r}: {stored.label} left out: {exc}")
    if not figures:
        raise ReportInputError(f"baseline {history.name!r}: none of its runs can be read")
    return figures, runs

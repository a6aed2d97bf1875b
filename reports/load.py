"""A Locust run's files read as one ``Run``: the stats, the history, the failures and exceptions, the monitor export.

Usage::

    from reports.input_checks import ReportInputError
    from reports.load import load_run

    try:
        run = load_run("results/soak", progress)   # PREFIX as given to locust --csv; progress(step, fraction)
    except ReportInputError as exc:
        print(exc)                                 # one line: the file and what is wrong with it
    run.stats, run.history, run.endpoints, run.full_history, run.warnings

Any Locust run's files do. Required: PREFIX_stats.csv and PREFIX_stats_history.csv; optional:
PREFIX_failures.csv, PREFIX_exceptions.csv (missing: empty frames), PREFIX_monitor.json and
PREFIX_monitor.csv (missing: None), and ctxload's PREFIX_push_stats.csv and PREFIX_push_stats_history.csv
(an endpoint "push context_updated" of their own, outside Aggregated). ``endpoint`` is Locust's Name,
"TYPE Name" for a Name seen with two Types, "Aggregated" for the total. A killed run can leave a
half-written last history line: it is left out with a warning (``Run.warnings``; ``warnings.warn`` from
``load_history`` alone). How one CSV file is read and checked: ``reports.locust_csv``; the monitor export:
``reports.monitor_export``.

Reads files only: it never imports Locust or the rest of ctxload.
"""

import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from reports.input_checks import ReportInputError
from reports.locust_csv import CATEGORY, EXCEPTIONS, FAILURES, HISTORY, STATS, read_table
from reports.monitor_export import load_monitor, load_monitor_rows
from reports.rates_from_totals import fill_zero_rates

AGGREGATED = "Aggregated"
Progress = Callable[[str, float], None]


@dataclass
class Run:
    prefix: str
    stats: pd.DataFrame  # from PREFIX_stats.csv, one row per endpoint + the "Aggregated" row
    history: pd.DataFrame  # from PREFIX_stats_history.csv, sorted by time
    failures: pd.DataFrame  # PREFIX_failures.csv (may have 0 rows)
    exceptions: pd.DataFrame  # PREFIX_exceptions.csv (may have 0 rows)
    monitor: dict | None  # PREFIX_monitor.json (the suite's monitor export) when present, else None
    monitor_rows: pd.DataFrame | None  # PREFIX_monitor.csv when present
    full_history: bool  # the history has per-endpoint rows (Locust's --csv-full-history), not only Aggregated
    warnings: list[str] = field(default_factory=list)  # one line each: input left out

    @property
    def endpoints(self) -> list[str]:
        labels = set(self.stats["endpoint"].astype(str)) | set(self.history["endpoint"].cat.categories)
        return sorted(labels - {AGGREGATED})

    @property
    def has_history(self) -> bool:
        return bool(len(self.history))

    @property
    def duration_seconds(self) -> float:
        if not self.has_history:
            return 0.0
        return float(self.history["timestamp"].iloc[-1] - self.history["timestamp"].iloc[0])

    @property
    def max_users(self) -> int | None:
        """The most users of the run; None when the history does not say (Locust before 1.0 wrote no user count)."""
        users = self.history["users"]
        return int(users.max()) if users.notna().any() else None


# What the reports use of the history: reading only these makes a day's history ~3x smaller and faster.
REPORT_HISTORY_COLUMNS = frozenset(
    {"timestamp", "users", "type", "name", "rps", "fail_rps", "p50", "p95", "p99"}
    | {"total_requests", "total_failures", "total_avg_ms"}  # exact per-interval figures (reports.intervals)
)


def load_run(
    prefix: str,
    progress: Progress | None = None,
    history_columns: frozenset | None = None,
    allow_cut: bool = False,
    history_required: bool = True,
) -> Run:
    """Every file of a run; ReportInputError (one line) on bad input.

    ``history_columns``: read only these history columns (our names; every column is still checked
    to be in the header), e.g. ``REPORT_HISTORY_COLUMNS``; None reads them all. A history whose last
    line is half-written (a killed run) is an error, unless ``allow_cut``: then that line is left
    out and said in ``Run.warnings``. Without ``history_required``, a run of PREFIX_stats.csv alone loads with an
    empty history (``Run.has_history`` False): whole-run figures only.
    """
    old_format = Path(f"{prefix}_requests.csv")
    if old_format.is_file() and not Path(f"{prefix}_stats.csv").exists():
        raise ReportInputError(
            f"{old_format}: Locust 0.x files (before 0.13: _requests.csv and _distribution.csv, no history over "
            "time): the reports read the files of Locust 0.13 and later (_stats.csv, _stats_history.csv)"
        )
    found: list[str] = []

    def cut_line(message: str) -> None:
        if not allow_cut:
            raise ReportInputError(message.replace(": left out", "; give --allow-cut to read the rest"))
        found.append(message)

    note = found.append  # what was assumed to read a file (its encoding, line ends, separator)
    stats = read_table(Path(f"{prefix}_stats.csv"), STATS, required_by=prefix, on_note=note)
    history_path = Path(f"{prefix}_stats_history.csv")
    if history_required and not history_path.exists() and Path(f"{prefix}_stats.csv").is_file():
        raise ReportInputError(
            f"{history_path}: no such file: this report needs the history over time (Locust writes it with --csv; "
            f"'summary' reads {Path(prefix).name}_stats.csv alone)"
        )
    required_by = prefix if history_required or history_path.exists() else None
    history = read_table(history_path, HISTORY, progress, cut_line, required_by, history_columns, note)
    found += fill_zero_rates(history, history_path)
    full_history = bool((history["name"] != AGGREGATED).any())  # Locust's own rows, before ctxload's push rows
    stats, history = _with_pushes(prefix, stats, history, cut_line, history_columns, note)
    ambiguous = ambiguous_names(stats, history)  # both files label an endpoint the same way
    add_endpoints(stats, ambiguous)
    add_endpoints(history, ambiguous)
    return Run(
        prefix=str(prefix),
        stats=stats,
        history=history,
        failures=read_table(Path(f"{prefix}_failures.csv"), FAILURES, on_note=note),
        exceptions=read_table(Path(f"{prefix}_exceptions.csv"), EXCEPTIONS, on_note=note),
        monitor=load_monitor(Path(f"{prefix}_monitor.json")),
        monitor_rows=load_monitor_rows(Path(f"{prefix}_monitor.csv")),
        full_history=full_history,
        warnings=found,
    )


def _with_pushes(prefix, stats, history, cut_line, history_columns, note) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ctxload's push figures (``PREFIX_push_stats.csv`` and ``_push_stats_history.csv``, in Locust's formats:
    ``verification.push_csv``) as endpoints of their own, when the run wrote them. Not in ``Aggregated``:
    Locust's Aggregated counts requests sent, and pushes are received."""
    push_stats, push_history = Path(f"{prefix}_push_stats.csv"), Path(f"{prefix}_push_stats_history.csv")
    if push_stats.is_file():  # before Locust's Aggregated row, which stays last
        last = stats.iloc[-1:] if len(stats) and stats["name"].iloc[-1] == AGGREGATED else stats.iloc[:0]
        pushes = read_table(push_stats, STATS, on_note=note)
        stats = _concat(_concat(stats.iloc[: len(stats) - len(last)], pushes), last)
    if push_history.is_file():
        rows = read_table(push_history, HISTORY, None, cut_line, prefix, history_columns, note)
        history = _concat(history, rows).sort_values("timestamp", kind="stable", ignore_index=True)
    return stats, history


def _concat(first: pd.DataFrame, second: pd.DataFrame) -> pd.DataFrame:
    """Two frames of one kind, their categorical columns merged (pd.concat would fall back to objects)."""
    if second.empty:
        return first
    merged = pd.concat([first, second], ignore_index=True)
    for column in first.columns:
        if isinstance(first[column].dtype, pd.CategoricalDtype):
            merged[column] = merged[column].astype(str).astype(CATEGORY)
    return merged


def load_history(path, progress: Progress | None = None, on_warning: Callable[[str], None] | None = None):
    """PREFIX_stats_history.csv alone, with endpoint labels; warnings go to on_warning or warnings.warn."""
    path = Path(path)
    history = read_table(path, HISTORY, progress, on_warning, required_by=str(path).removesuffix("_stats_history.csv"))
    for line in fill_zero_rates(history, path):
        (on_warning or warnings.warn)(line)
    add_endpoints(history, ambiguous_names(history))
    return history


def ambiguous_names(*frames: pd.DataFrame) -> set[str]:
    """Names that appear with more than one Type (the Aggregated row's Type is empty)."""
    types_by_name: dict[str, set[str]] = {}
    for frame in frames:
        for type_, name in frame.groupby(["type", "name"], observed=True).size().index:
            types_by_name.setdefault(name, set()).add(type_)
    return {name for name, types in types_by_name.items() if len(types) > 1}


def _label(type_: str, name: str, ambiguous: set[str]) -> str:
    if type_ == "" and name == AGGREGATED:
        return AGGREGATED
    return f"{type_} {name}" if type_ and name in ambiguous else name


def add_endpoints(frame: pd.DataFrame, ambiguous: set[str]) -> None:
    """Inserts ``endpoint`` after ``name`` (in place), labelling each (type, name) pair once, not each row."""
    types, names = frame["type"].astype(CATEGORY), frame["name"].astype(CATEGORY)
    width = len(names.cat.categories)
    pair_codes, pairs = pd.factorize(types.cat.codes.to_numpy(np.int64) * width + names.cat.codes.to_numpy(np.int64))
    labels = [_label(types.cat.categories[p // width], names.cat.categories[p % width], ambiguous) for p in pairs]
    categories = sorted(set(labels))
    label_codes = np.array([categories.index(label) for label in labels], dtype=np.int64)
    endpoint = pd.Categorical.from_codes(label_codes[pair_codes], categories)
    frame.insert(frame.columns.get_loc("name") + 1, "endpoint", endpoint)

"""Read a Locust run's CSV files (and ctxload's monitor export), check them, and give them snake_case columns.

Usage::

    from reports.load import ReportInputError, load_run

    try:
        run = load_run("results/soak", progress)   # PREFIX as given to locust --csv; progress(step, fraction)
    except ReportInputError as exc:
        print(exc)                                 # one line: the file and what is wrong with it
    run.stats, run.history, run.endpoints, run.full_history, run.warnings

Any Locust run's files do. Required: PREFIX_stats.csv and PREFIX_stats_history.csv; optional:
PREFIX_failures.csv, PREFIX_exceptions.csv (missing: empty frames), PREFIX_monitor.json and
PREFIX_monitor.csv (missing: None). ``N/A`` percentiles become NaN. ``endpoint`` is Locust's Name,
"TYPE Name" for a Name seen with two Types, "Aggregated" for the total. A killed run can leave a
half-written last history line: it is left out with a warning (``Run.warnings``; ``warnings.warn``
from ``load_history`` alone). A day of --csv-full-history (~1.8 M rows) is read in chunks, with fixed dtypes.

Reads files only: it never imports Locust or the rest of ctxload.
"""

import csv
import functools
import io
import itertools
import json
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

AGGREGATED = "Aggregated"
CHUNK_ROWS = 250_000
# "99.9%" (Locust's PERCENTILES_TO_REPORT, which a locustfile may change) -> "p999"
PERCENTILE_HEADER = re.compile(r"\d+(\.\d+)?%")
STANDARD_PERCENTILES = {"p50": 50, "p66": 66, "p75": 75, "p80": 80, "p90": 90, "p95": 95, "p98": 98, "p99": 99,
                        "p999": 99.9, "p9999": 99.99, "p100": 100}  # fmt: skip
CATEGORY, INT, FLOAT, TEXT = "category", "int64", "float64", "str"
Progress = Callable[[str, float], None]


class ReportInputError(Exception):
    """Bad input: str(exc) is ONE line naming the file and what is wrong; the CLI prints it and exits 2."""


class ReportInputWarning(UserWarning):
    """Input the reports can use, but not all of it (a half-written last line)."""


_warn = functools.partial(warnings.warn, category=ReportInputWarning, stacklevel=3)  # shown at the caller's line


@dataclass(frozen=True)
class Kind:
    """One of Locust's CSV files: required columns {Locust's header: (our name, dtype)} and its rules."""

    what: str
    columns: dict[str, tuple[str, str]]
    percentiles: bool = False  # has "50%" .. "100%" columns
    other_columns: bool = False  # keeps columns it does not list, snake_cased, as text
    rows_required: bool = True
    partial_last_line: bool = False  # may end in a half-written line: left out with a warning


# fmt: off
NAMES = {"Type": ("type", CATEGORY), "Name": ("name", CATEGORY)}
RATES = {"Requests/s": ("rps", FLOAT), "Failures/s": ("fail_rps", FLOAT)}
TIMES = {"Median Response Time": "median_ms", "Average Response Time": "avg_ms", "Min Response Time": "min_ms",
         "Max Response Time": "max_ms", "Average Content Size": "avg_size"}
STATS = Kind("stats", {**NAMES, "Request Count": ("requests", INT), "Failure Count": ("failures", INT),
                       **{header: (name, FLOAT) for header, name in TIMES.items()}, **RATES}, percentiles=True)
HISTORY = Kind("stats history", {"Timestamp": ("timestamp", INT), "User Count": ("users", INT), **NAMES, **RATES,
                                 "Total Request Count": ("total_requests", INT),
                                 "Total Failure Count": ("total_failures", INT),
                                 **{f"Total {header}": (f"total_{name}", FLOAT) for header, name in TIMES.items()}},
               percentiles=True, partial_last_line=True)
FAILURES = Kind("failures", {"Method": ("method", TEXT), "Name": ("name", TEXT), "Error": ("error", TEXT),
                             "Occurrences": ("occurrences", INT)}, other_columns=True, rows_required=False)
EXCEPTIONS = Kind("exceptions", {"Count": ("count", INT), "Message": ("message", TEXT),
                                 "Traceback": ("traceback", TEXT), "Nodes": ("nodes", TEXT)},
                  other_columns=True, rows_required=False)
# fmt: on


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
    def duration_seconds(self) -> float:
        return float(self.history["timestamp"].iloc[-1] - self.history["timestamp"].iloc[0])

    @property
    def max_users(self) -> int:
        return int(self.history["users"].max())


# What the reports use of the history: reading only these makes a day's history ~3x smaller and faster.
REPORT_HISTORY_COLUMNS = frozenset({"timestamp", "users", "type", "name", "rps", "fail_rps", "p50", "p95", "p99"})


def load_run(
    prefix: str, progress: Progress | None = None, history_columns: frozenset | None = None, allow_cut: bool = False
) -> Run:
    """Every file of a run; ReportInputError (one line) on bad input.

    ``history_columns``: read only these history columns (our names; every column is still checked
    to be in the header), e.g. ``REPORT_HISTORY_COLUMNS``; None reads them all. A history whose last
    line is half-written (a killed run) is an error, unless ``allow_cut``: then that line is left
    out and said in ``Run.warnings``.
    """
    found: list[str] = []

    def cut_line(message: str) -> None:
        if not allow_cut:
            raise ReportInputError(message.replace(": left out", "; give --allow-cut to read the rest"))
        found.append(message)

    stats = read_table(Path(f"{prefix}_stats.csv"), STATS, required_by=prefix)
    history = read_table(
        Path(f"{prefix}_stats_history.csv"), HISTORY, progress, cut_line, required_by=prefix, only=history_columns
    )
    ambiguous = ambiguous_names(stats, history)  # both files label an endpoint the same way
    add_endpoints(stats, ambiguous)
    add_endpoints(history, ambiguous)
    return Run(
        prefix=str(prefix),
        stats=stats,
        history=history,
        failures=read_table(Path(f"{prefix}_failures.csv"), FAILURES),
        exceptions=read_table(Path(f"{prefix}_exceptions.csv"), EXCEPTIONS),
        monitor=load_monitor(Path(f"{prefix}_monitor.json")),
        monitor_rows=load_monitor_rows(Path(f"{prefix}_monitor.csv")),
        full_history=bool((history["endpoint"] != AGGREGATED).any()),
        warnings=found,
    )


def load_history(path, progress: Progress | None = None, on_warning: Callable[[str], None] | None = None):
    """PREFIX_stats_history.csv alone, with endpoint labels; warnings go to on_warning or warnings.warn."""
    path = Path(path)
    history = read_table(path, HISTORY, progress, on_warning, required_by=str(path).removesuffix("_stats_history.csv"))
    add_endpoints(history, ambiguous_names(history))
    return history


def read_table(path: Path, kind: Kind, progress=None, on_warning=None, required_by: str | None = None, only=None):
    """One CSV file, checked and renamed; a missing file is an empty frame unless ``required_by`` (a prefix).

    ``only``: our names of the columns to keep (the others are checked in the header but not read).
    """
    first_line = _first_line(path, required_by)
    if first_line is None:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in kind.columns.values()})
    header = next(csv.reader([first_line]), [])
    missing = next((column for column in kind.columns if column not in header), None)
    if missing:
        raise ReportInputError(f"{path}: not a Locust {kind.what} file: no {missing!r} column in its header")
    percentiles = [column for column in header if kind.percentiles and PERCENTILE_HEADER.fullmatch(column)]
    wanted = _wanted(kind, header, percentiles)
    if only is not None:
        wanted = {column: named for column, named in wanted.items() if named[0] in only}
        percentiles = [column for column in percentiles if column in wanted]
    limit, cut = _complete_bytes(path) if kind.partial_last_line else (path.stat().st_size, False)
    dtypes = {column: dtype for column, (_, dtype) in wanted.items()}
    frame = _read_chunks(path, header, dtypes, percentiles, limit, progress)
    if cut and len(frame):  # Locust writes no blank line: the header, the rows read, then the cut one
        incomplete = len(frame) + 2
        (on_warning or _warn)(f"{path}: line {incomplete} is incomplete (the run killed while writing it?): left out")
    if kind.rows_required and not len(frame):
        raise ReportInputError(f"{path}: no data rows, only a header (did the run end before its first second?)")
    frame.columns = [wanted[column][0] for column in frame.columns]
    if kind.percentiles:
        found = {wanted[column][0]: float(column[:-1]) for column in percentiles}
        frame = _standard_percentiles(frame, found, only)
    if "timestamp" in frame and not frame["timestamp"].is_monotonic_increasing:
        frame = frame.sort_values("timestamp", kind="stable", ignore_index=True)
    return frame


def _wanted(kind: Kind, header: list[str], percentiles: list[str]) -> dict[str, tuple[str, str]]:
    """{Locust's header: (our name, dtype)} for the columns to read: "99.9%" -> p999, "First Seen" -> first_seen."""
    wanted = {column: kind.columns.get(column) or (_snake(column), TEXT) for column in header if kind.other_columns}
    wanted |= {column: kind.columns[column] for column in header if column in kind.columns}
    return wanted | {column: ("p" + column.rstrip("%").replace(".", ""), FLOAT) for column in percentiles}


def _first_line(path: Path, required_by: str | None) -> str | None:
    """The file's first line, decoded; None for a missing optional file. Errors name the file."""
    if path.is_dir():
        raise ReportInputError(f"{path}: is a directory, not a file")
    if not path.exists():
        if required_by is None:
            return None
        raise ReportInputError(f"{path}: no such file (is {required_by!r} the PREFIX given to locust --csv?)")
    try:
        with open(path, "rb") as handle:
            first = handle.readline(1 << 20)
    except PermissionError:
        raise ReportInputError(f"{path}: permission denied (cannot read it)") from None
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read it ({exc.strerror})") from None
    if not first:
        raise ReportInputError(f"{path}: empty file (0 bytes)")
    try:
        return first.decode("utf-8-sig").rstrip("\r\n")
    except UnicodeDecodeError as exc:
        raise ReportInputError(f"{path}: line 1: not UTF-8 text (byte 0x{first[exc.start]:02x})") from None


def _complete_bytes(path: Path) -> tuple[int, bool]:
    """Bytes up to the last line end, and whether a half-written line follows (Locust ends every line it writes)."""
    size = path.stat().st_size
    with open(path, "rb") as handle:
        handle.seek(max(0, size - (1 << 20)))
        tail = handle.read()
    if tail.endswith((b"\n", b"\r")) or b"\n" not in tail:  # complete; or a header alone (no rows to save)
        return size, False
    return size - len(tail) + tail.rfind(b"\n") + 1, True


class _Prefix(io.RawIOBase):
    """The first ``limit`` bytes of a file, counted (for progress; pandas must not see a half-written line)."""

    def __init__(self, raw, limit: int):
        self.raw, self.remaining, self.consumed = raw, limit, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        count = self.raw.readinto(memoryview(buffer)[: self.remaining])
        self.remaining -= count
        self.consumed += count
        return count


def _read_chunks(path: Path, header, dtypes: dict, percentiles: list, limit: int, progress) -> pd.DataFrame:
    """read_csv in chunks (for progress), fixed dtypes; on an error, the bad line is found and named."""
    pieces: dict[str, list[pd.Series]] = {column: [] for column in dtypes}
    rows_read = 0
    with open(path, "rb") as raw:
        counted = _Prefix(raw, limit)
        try:  # read_csv reads the first block at once: a bad byte there raises here
            reader = pd.read_csv(
                io.BufferedReader(counted),
                usecols=list(dtypes),
                dtype=dtypes,
                keep_default_na=False,  # only N/A, and only in percentiles: an empty number is an error, not NaN
                na_values={column: ["N/A"] for column in percentiles},
                chunksize=CHUNK_ROWS,
                encoding="utf-8-sig",
            )
            for chunk in reader:
                rows_read += len(chunk)
                for column in chunk:  # copied out: each chunk's memory goes now, each column's pieces once joined
                    pieces[column].append(chunk[column].copy())
                if progress:
                    progress(f"loading {path.name}", counted.consumed / max(limit, 1))
        except (ValueError, OverflowError, pd.errors.ParserError) as exc:  # UnicodeDecodeError is a ValueError
            raise ReportInputError(_diagnose(path, header, dtypes, percentiles, rows_read, exc)) from None
    if not rows_read:
        return pd.DataFrame({column: pd.Series(dtype=dtype) for column, dtype in dtypes.items()})
    return pd.DataFrame({column: _joined(parts) for column, parts in pieces.items()}, copy=False)


def _joined(parts: list[pd.Series]) -> pd.Series:
    """A column from its chunks' pieces, which are then dropped: the peak is one copy of the data, not two."""
    if len(parts) == 1:
        joined = parts[0]
    elif isinstance(parts[0].dtype, pd.CategoricalDtype):  # each chunk has its own categories
        joined = pd.Series(union_categoricals([part.array for part in parts], sort_categories=True))
    else:
        joined = pd.concat(parts, ignore_index=True)
    parts.clear()
    return joined


def _diagnose(path: Path, header: list[str], dtypes: dict, percentiles: list, start_row: int, exc: Exception) -> str:
    """The first bad line from data row ``start_row`` on, found again with the csv module: pandas does not say."""
    if isinstance(exc, UnicodeDecodeError):
        with open(path, "rb") as handle:
            for number, line in enumerate(handle, 1):
                try:
                    line.decode("utf-8")
                except UnicodeDecodeError as bad:
                    return f"{path}: line {number}: not UTF-8 text (byte 0x{line[bad.start]:02x})"
    numbers = [(header.index(column), column, dtype) for column, dtype in dtypes.items() if dtype in (INT, FLOAT)]
    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = csv.reader(handle)
        next(rows)
        for row in itertools.islice((row for row in rows if row), start_row, None):  # pandas skips blank lines too
            if len(row) != len(header):
                hint = " (cut short?)" if len(row) < len(header) else ""
                return f"{path}: line {rows.line_num} has {len(row)} fields, the header {len(header)}{hint}"
            for position, column, dtype in numbers:
                if not _is_number(row[position], dtype, column in percentiles):
                    expected = "a whole number" if dtype == INT else "a number"
                    return f"{path}: line {rows.line_num}, column {column!r}: {row[position]!r} is not {expected}"
    return f"{path}: unreadable CSV ({str(exc).strip().splitlines()[0]})"


def _is_number(text: str, dtype: str, may_be_na: bool) -> bool:
    if may_be_na and text == "N/A":
        return True
    try:
        value = int(text) if dtype == INT else float(text)
    except ValueError:
        return False
    return dtype != INT or -(2**63) <= value < 2**63  # what int64 holds


def _snake(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.lower()).strip("_")


def _standard_percentiles(frame: pd.DataFrame, found: dict[str, float], only=None) -> pd.DataFrame:
    """p50 .. p100 always (NaN where a run reported other percentiles); percentiles after fail_rps, lowest first."""
    standard = {name: rank for name, rank in STANDARD_PERCENTILES.items() if only is None or name in only}
    missing = [name for name in standard if name not in frame]
    if missing:
        frame = frame.assign(**{name: np.nan for name in missing})
    value = standard | found
    rest = [column for column in frame.columns if column not in value]
    after = rest.index("fail_rps") + 1
    return frame[rest[:after] + sorted(value, key=value.get) + rest[after:]]


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


def load_monitor(path: Path) -> dict | None:
    """PREFIX_monitor.json (``monitors.export``), or None when there is none."""
    if _first_line(path, None) is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except UnicodeDecodeError:
        raise ReportInputError(f"{path}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ReportInputError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("snapshots"), list):
        raise ReportInputError(f'{path}: not a ctxload monitor export (no "snapshots" list)')
    return document


def load_monitor_rows(path: Path) -> pd.DataFrame | None:
    """PREFIX_monitor.csv, one row per monitor snapshot, or None when there is none."""
    if _first_line(path, None) is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            rows = pd.read_csv(handle)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ReportInputError(f"{path}: unreadable CSV ({str(exc).strip().splitlines()[0]})") from None
    if "time" not in rows:
        raise ReportInputError(f"{path}: not a ctxload monitor export: no 'time' column in its header")
    return rows

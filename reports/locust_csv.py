"""One of Locust's CSV files as a data frame: its columns checked, renamed to snake_case, read with fixed dtypes.

Usage::

    from reports.locust_csv import HISTORY, STATS, read_table

    stats = read_table(Path("run_stats.csv"), STATS, required_by="run")       # ReportInputError if missing or bad
    history = read_table(path, HISTORY, progress, on_warning, required_by="run")  # a cut last line: on_warning

A ``Kind`` lists a file's required columns {Locust's header: (our name, dtype)}: ``STATS``, ``HISTORY``,
``FAILURES``, ``EXCEPTIONS``. Percentile headers ("99.9%") become p999, and p50 .. p100 are always there (NaN
where the run reported other percentiles; ``N/A`` is NaN). Large files (a day of --csv-full-history, ~1.8 M rows)
are read in chunks of ``CHUNK_ROWS``. The checks and their one-line errors are in ``reports.input_checks``.
"""

import functools
import io
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from pandas.api.types import union_categoricals

from reports.csv_source import CsvSource, normalised, open_source
from reports.input_checks import FLOAT, INT, ReportInputError, ReportInputWarning, diagnose

CHUNK_ROWS = 250_000
# "99.9%" (Locust's PERCENTILES_TO_REPORT, which a locustfile may change) -> "p999"
PERCENTILE_HEADER = re.compile(r"\d+(\.\d+)?%")
STANDARD_PERCENTILES = {"p50": 50, "p66": 66, "p75": 75, "p80": 80, "p90": 90, "p95": 95, "p98": 98, "p99": 99,
                        "p999": 99.9, "p9999": 99.99, "p100": 100}  # fmt: skip
CATEGORY, TEXT = "category", "str"

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
    aliases: dict[str, str] = field(default_factory=dict)  # an older Locust's header (lower case) -> today's
    optional: frozenset = frozenset()  # today's headers an older Locust did not write: NaN where missing

    def canonical(self, header: list[str]) -> list[str]:
        """Today's names for a file's headers, matched without regard to case: ``"# requests"`` (Locust 0.13) ->
        ``"Request Count"``, ``"99.999"`` (0.13 left out its "%") -> ``"99.999%"``."""
        known = {column.lower(): column for column in self.columns} | self.aliases
        names = [known.get(column.strip().lower(), column) for column in header]
        if self.percentiles:
            names = [f"{name}%" if _BARE_PERCENTILE.fullmatch(name) and f"{name}%" not in names else name
                     for name in names]  # fmt: skip
        return names


_BARE_PERCENTILE = re.compile(r"\d{2}(\.\d+)?|100")
# Locust before 1.0 (0.13, 0.14) named the columns otherwise; its history held the totals under these names.
_OLD_COUNTS = {"# requests": "Request Count", "# failures": "Failure Count", "requests failed/s": "Failures/s"}
_OLD_TOTALS = {
    "# requests": "Total Request Count",
    "# failures": "Total Failure Count",
    "requests failed/s": "Failures/s",
    **{
        f"{header.lower()}": f"Total {header}"
        for header in (
            "Median Response Time",
            "Average Response Time",
            "Min Response Time",
            "Max Response Time",
            "Average Content Size",
        )
    },
}

# fmt: off
NAMES = {"Type": ("type", CATEGORY), "Name": ("name", CATEGORY)}
RATES = {"Requests/s": ("rps", FLOAT), "Failures/s": ("fail_rps", FLOAT)}
TIMES = {"Median Response Time": "median_ms", "Average Response Time": "avg_ms", "Min Response Time": "min_ms",
         "Max Response Time": "max_ms", "Average Content Size": "avg_size"}
STATS = Kind("stats", {**NAMES, "Request Count": ("requests", INT), "Failure Count": ("failures", INT),
                       **{header: (name, FLOAT) for header, name in TIMES.items()}, **RATES}, percentiles=True,
             aliases=_OLD_COUNTS)
HISTORY = Kind("stats history", {"Timestamp": ("timestamp", INT), "User Count": ("users", INT), **NAMES, **RATES,
                                 "Total Request Count": ("total_requests", INT),
                                 "Total Failure Count": ("total_failures", INT),
                                 **{f"Total {header}": (f"total_{name}", FLOAT) for header, name in TIMES.items()}},
               percentiles=True, partial_last_line=True, aliases=_OLD_TOTALS, optional=frozenset({"User Count"}))
FAILURES = Kind("failures", {"Method": ("method", TEXT), "Name": ("name", TEXT), "Error": ("error", TEXT),
                             "Occurrences": ("occurrences", INT)}, other_columns=True, rows_required=False)
EXCEPTIONS = Kind("exceptions", {"Count": ("count", INT), "Message": ("message", TEXT),
                                 "Traceback": ("traceback", TEXT), "Nodes": ("nodes", TEXT)},
                  other_columns=True, rows_required=False)
# fmt: on


def read_table(
    path: Path, kind: Kind, progress=None, on_warning=None, required_by: str | None = None, only=None, on_note=None
):
    """One CSV file, checked and renamed; a missing file is an empty frame unless ``required_by`` (a prefix).

    ``only``: our names of the columns to keep (the others are checked in the header but not read).
    ``on_warning(line)``: a half-written last line left out; ``on_note(line)``: what was assumed to read the file
    (its encoding, line ends, separator: ``reports.csv_source``). Both default to ``warnings.warn``.
    """
    source = open_source(path, required_by)
    if source is None:
        return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in kind.columns.values()})
    try:
        frame = _read_source(source, kind, progress, on_warning, only)
    except ReportInputError:
        if source.data is not None:
            raise
        retry = normalised(path)  # a file whose head looked plain: what is further on may need normalising
        if not retry.assumed:
            raise
        source, frame = retry, _read_source(retry, kind, progress, on_warning, only)
    if source.assumed:
        (on_note or _warn)(source.assumption())
    return frame


def _read_source(source: CsvSource, kind: Kind, progress, on_warning, only) -> pd.DataFrame:
    path, header = source.path, kind.canonical(source.header)
    source.header = header  # diagnose names columns as today's Locust does
    absent = [column for column in kind.optional if column not in header]
    if absent:
        source.assumed.append(f"no {', '.join(map(repr, absent))} column (Locust before 1.0): unknown")
    missing = next((column for column in kind.columns if column not in header and column not in absent), None)
    if missing:
        raise ReportInputError(f"{path}: not a Locust {kind.what} file: no {missing!r} column in its header")
    percentiles = [column for column in header if kind.percentiles and PERCENTILE_HEADER.fullmatch(column)]
    wanted = _wanted(kind, header, percentiles)
    if only is not None:
        wanted = {column: named for column, named in wanted.items() if named[0] in only}
        percentiles = [column for column in percentiles if column in wanted]
    limit, ending = source.ending() if kind.partial_last_line else (source.size, None)
    dtypes = {column: dtype for column, (_, dtype) in wanted.items()}
    frame = _read_chunks(source, dtypes, percentiles, limit, progress)
    last = source.data.count(b"\n") + 1 if source.data is not None else None
    if ending == "cut" and len(frame):  # Locust writes no blank line: the header, the rows read, then the cut one
        incomplete = last or len(frame) + 2
        (on_warning or _warn)(f"{path}: line {incomplete} is incomplete (the run killed while writing it?): left out")
    if ending == "unended" and len(frame):
        number = last or len(frame) + 1
        source.assumed.append(f"line {number}, the last, has all its fields but no line end: read as complete")
    if kind.rows_required and not len(frame):
        raise ReportInputError(f"{path}: no data rows, only a header (did the run end before its first second?)")
    frame.columns = [wanted[column][0] for column in frame.columns]
    for column in absent:  # e.g. users of Locust 0.13's history: NaN, where the reports say "unknown"
        name = kind.columns[column][0]
        if only is None or name in only:
            frame.insert(min(1, len(frame.columns)), name, np.nan)
    if kind.percentiles:
        found = {wanted[column][0]: float(column[:-1]) for column in percentiles}
        frame = _standard_percentiles(frame, found, only)
    if "type" in frame and "name" in frame:
        frame = _total_row_named(frame)
    if "timestamp" in frame and not frame["timestamp"].is_monotonic_increasing:
        frame = frame.sort_values("timestamp", kind="stable", ignore_index=True)
    return frame


def _wanted(kind: Kind, header: list[str], percentiles: list[str]) -> dict[str, tuple[str, str]]:
    """{Locust's header: (our name, dtype)} for the columns to read: "99.9%" -> p999, "First Seen" -> first_seen."""
    wanted = {column: kind.columns.get(column) or (_snake(column), TEXT) for column in header if kind.other_columns}
    wanted |= {column: kind.columns[column] for column in header if column in kind.columns}
    return wanted | {column: ("p" + column.rstrip("%").replace(".", ""), FLOAT) for column in percentiles}


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


def _read_chunks(source: CsvSource, dtypes: dict, percentiles: list, limit: int, progress) -> pd.DataFrame:
    """read_csv in chunks (for progress), fixed dtypes; on an error, the bad line is found and named."""
    pieces: dict[str, list[pd.Series]] = {column: [] for column in dtypes}
    rows_read = 0
    path = source.path
    with source.open() as raw:
        counted = _Prefix(raw, limit)
        try:  # read_csv reads the first block at once: a bad byte there raises here
            reader = pd.read_csv(
                io.BufferedReader(counted),
                names=source.header,  # today's names for an older Locust's headers (Kind.canonical)
                header=0,
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
            raise ReportInputError(diagnose(source, dtypes, percentiles, rows_read, exc)) from None
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


def _total_row_named(frame: pd.DataFrame) -> pd.DataFrame:
    """The total row as today's Locust writes it: Type "" and Name "Aggregated" (0.13 and 1.0 wrote Type "None")."""
    total = frame["name"].astype(str).eq("Aggregated") & frame["type"].astype(str).eq("None")
    if total.any():
        frame["type"] = frame["type"].astype(str).mask(total, "").astype(CATEGORY)
    return frame


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

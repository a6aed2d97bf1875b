"""Checks on an input file of the reports, each failing with ONE line that names the file (and line, and column).

Usage::

    from reports.input_checks import ReportInputError, diagnose, read_head

    head = read_head(path, required_by=prefix)       # the first bytes; None: an optional file that is missing
    raise ReportInputError(diagnose(source, dtypes, percentiles, rows_read, exc))  # the bad line of a CsvSource

``ReportInputError`` is what the CLI prints before exiting 2; ``ReportInputWarning`` is for input that is used
only in part (a half-written last line left out). Reads files only: no pandas, no Locust.
"""

import csv
import itertools
from pathlib import Path

INT, FLOAT = "int64", "float64"  # the dtypes whose values diagnose checks

# pandas reads fields of any length; the csv module (used to find a damaged line, and for headers) refuses
# those over 128 KB unless told, and a damaged file's field may be that long.
csv.field_size_limit(2**31 - 1)


class ReportInputError(Exception):
    """Bad input: str(exc) is ONE line naming the file and what is wrong; the CLI prints it and exits 2."""


class ReportInputWarning(UserWarning):
    """Input the reports can use, but not all of it (a half-written last line)."""


def read_head(path: Path, required_by: str | None, size: int = 1 << 16) -> bytes | None:
    """The file's first ``size`` bytes (not empty); None for a missing optional file. Errors name the file."""
    if path.is_dir():
        raise ReportInputError(f"{path}: is a directory, not a file")
    if not path.exists():
        if required_by is None:
            return None
        raise ReportInputError(f"{path}: no such file (is {required_by!r} the PREFIX given to locust --csv?)")
    try:
        with open(path, "rb") as handle:
            head = handle.read(size)
    except PermissionError:
        raise ReportInputError(f"{path}: permission denied (cannot read it)") from None
    except OSError as exc:
        raise ReportInputError(f"{path}: cannot read it ({exc.strerror})") from None
    if not head:
        raise ReportInputError(f"{path}: empty file (0 bytes)")
    return head


def diagnose(source, dtypes: dict, percentiles: list, start_row: int, exc: Exception) -> str:
    """The first bad line of a ``reports.csv_source.CsvSource`` from data row ``start_row`` on, found again with
    the csv module: pandas does not say. Line numbers are the file's (its normalised lines are line for line)."""
    path, header = source.path, source.header
    if isinstance(exc, UnicodeDecodeError):  # read again through csv_source.normalised, which names the encoding
        return f"{path}: not UTF-8 text"
    numbers = [(header.index(column), column, dtype) for column, dtype in dtypes.items() if dtype in (INT, FLOAT)]
    with source.text() as handle:
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

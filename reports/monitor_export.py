"""ctxload's monitor export of a run: PREFIX_monitor.json (the document) and PREFIX_monitor.csv (one row a snapshot).

Usage::

    from reports.monitor_export import load_monitor, load_monitor_rows

    document = load_monitor(Path("results/soak_monitor.json"))      # a dict with a "snapshots" list, or None
    rows = load_monitor_rows(Path("results/soak_monitor.csv"))      # a DataFrame with a "time" column, or None

Both files are optional: a missing one is None. A file that is there but is not the export raises
``ReportInputError`` (one line naming the file). Reads the files only: it never imports the monitors.
"""

import json
from pathlib import Path

import pandas as pd

from reports.input_checks import ReportInputError, read_head


def load_monitor(path: Path) -> dict | None:
    """PREFIX_monitor.json (``monitors.export``), or None when there is none."""
    if read_head(path, None, 1) is None:
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
    if read_head(path, None, 1) is None:
        return None
    try:
        with open(path, encoding="utf-8") as handle:
            rows = pd.read_csv(handle)
    except (ValueError, pd.errors.ParserError) as exc:
        raise ReportInputError(f"{path}: unreadable CSV ({str(exc).strip().splitlines()[0]})") from None
    if "time" not in rows:
        raise ReportInputError(f"{path}: not a ctxload monitor export: no 'time' column in its header")
    return rows

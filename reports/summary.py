"""``summary PREFIX``: per-endpoint figures, failures, exceptions and the monitor's findings, as Markdown and HTML.

Usage::

    paths = write_summary(run, steady, out_dir)   # summary.md, summary.html (plots inlined), the PNGs

Readable at any endpoint count: the ``BUSIEST`` endpoints by requests, one "other" row for the rest and the
Aggregated row; with more endpoints than that, the full table is written beside as ``endpoints.csv``.
"""

from pathlib import Path

import numpy as np
import pandas as pd

from reports import plots
from reports.render import Page, write_text
from reports.series import AGGREGATED

TEXT_LIMIT = 160  # characters of an error message or name shown in a cell
BUSIEST = 30  # endpoints, failures and exceptions shown; the rest in one row or line (the full table in a CSV)

MONITOR_FIGURES = (
    "generator_cpu_percent",
    "target_cpu_percent",
    "target_memory_mb",
    "system_cpu_percent",
    "ws_sessions",
)


def endpoint_table(run) -> pd.DataFrame:
    """Every endpoint of the stats file, then Aggregated, as Locust wrote them (whole run)."""
    stats = run.stats
    return pd.DataFrame(
        {
            "endpoint": stats["endpoint"].astype(str).map(_short),
            "requests": stats["requests"],
            "failures": stats["failures"],
            "req/s": stats["rps"],
            "p50 ms": stats["p50"],
            "p95 ms": stats["p95"],
            "p99 ms": stats["p99"],
            "max ms": stats["max_ms"],
        }
    )


def busiest(table: pd.DataFrame, rows: int = BUSIEST) -> pd.DataFrame:
    """The ``rows`` endpoints with the most requests, one "other" row summing the rest, then Aggregated.

    The other row's requests, failures, req/s and max are exact (sums and the max); percentiles of several
    endpoints cannot be told from theirs, so they are left empty there."""
    total = table[table["endpoint"] == AGGREGATED]
    endpoints = table[table["endpoint"] != AGGREGATED].sort_values("requests", ascending=False, kind="stable")
    if len(endpoints) <= rows:
        return table
    rest = endpoints.iloc[rows:]
    other = pd.DataFrame(
        {
            "endpoint": [f"other ({len(rest):,} endpoints)"],
            "requests": [rest["requests"].sum()],
            "failures": [rest["failures"].sum()],
            "req/s": [rest["req/s"].sum()],
            "p50 ms": [np.nan],
            "p95 ms": [np.nan],
            "p99 ms": [np.nan],
            "max ms": [rest["max ms"].max()],
        }
    )
    return pd.concat([endpoints.iloc[:rows], other, total], ignore_index=True)


def failure_table(run, rows: int = BUSIEST) -> pd.DataFrame:
    failures = run.failures
    if failures.empty:
        return pd.DataFrame(columns=["method", "name", "error", "occurrences"])
    top = failures.sort_values("occurrences", ascending=False).head(rows)[["method", "name", "error", "occurrences"]]
    return top.assign(name=top["name"].map(_short), error=top["error"].map(_short))


def exception_table(run, rows: int = BUSIEST) -> pd.DataFrame:
    """Locust's PREFIX_exceptions.csv (errors raised in the locustfile, not failed requests): the most frequent,
    each with the last line of its traceback (where it was raised)."""
    exceptions = run.exceptions
    if exceptions.empty:
        return pd.DataFrame(columns=["count", "message", "raised at"])
    top = exceptions.sort_values("count", ascending=False).head(rows)
    raised_at = [_last_frame(text) for text in top["traceback"].astype(str)]
    return pd.DataFrame({"count": top["count"].to_numpy(), "message": top["message"].map(_short),
                         "raised at": raised_at})  # fmt: skip


def _short(text, limit: int = TEXT_LIMIT) -> str:
    """One cell's text: on one line, and cut (with an ellipsis) if longer than ``limit``; the CSVs keep it whole."""
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def _last_frame(traceback: str) -> str:
    frames = [line.strip() for line in traceback.splitlines() if line.strip().startswith("File ")]
    return _short(frames[-1]) if frames else ""


def _more(frame: pd.DataFrame, count_column: str, shown: int, what: str) -> str | None:
    if len(frame) <= shown:
        return None
    rest = frame.sort_values(count_column, ascending=False).iloc[shown:]
    return f"{len(rest):,} more {what} not shown, {int(rest[count_column].sum()):,} occurrences in all."


def monitor_sections(run, page: Page) -> None:
    monitor = run.monitor
    if monitor is None:
        page.text("No monitor export beside these files (run with --monitor-export PREFIX to have one).")
        return
    if monitor.get("final") is True:
        page.text((monitor.get("verdict") or {}).get("summary", "The monitor export has no verdict."))
    else:  # written during the run and never at its end (it was killed): its verdict was only the one so far
        written = monitor.get("written") or "during the run"
        page.text(
            f"The monitor export is not final (last written {written}; the run ended without writing it again): "
            "no verdict is shown, its figures stop there.",
            warning=True,
        )
    if monitor.get("generator_bound"):
        page.text(f"The run was generator-bound: {monitor.get('saturation')}.", warning=True)
    if run.monitor_rows is not None and not run.monitor_rows.empty:
        rows = run.monitor_rows
        present = [name for name in MONITOR_FIGURES if name in rows and rows[name].notna().any()]
        page.table(
            "Resources (monitor)",
            pd.DataFrame(
                {
                    "figure": present,
                    "mean": [rows[name].mean() for name in present],
                    "max": [rows[name].max() for name in present],
                }
            ),
        )
    alerts = pd.DataFrame(monitor.get("alerts") or [], columns=["id", "rule", "peak_severity", "state", "message"])
    page.table("Alerts (monitor)", alerts)


def write_summary(run, steady, out: Path, pngs: dict | None = None, rows: int = BUSIEST) -> list[Path]:
    page = Page(f"Summary of {run.prefix}")
    totals = run.stats[run.stats["endpoint"] == AGGREGATED]
    requests, failures = int(totals["requests"].sum()), int(totals["failures"].sum())
    share = f" ({failures / requests:.2%})" if requests else ""
    if steady is None:  # PREFIX_stats.csv alone
        page.text(f"{requests:,} requests, {failures:,} failed{share}.")
        page.text(
            f"No history file ({Path(run.prefix).name}_stats_history.csv): whole-run figures only; duration, users, "
            "warm-up and plots over time need it (Locust writes it with --csv).",
            warning=True,
        )
    else:
        users = f"{run.max_users:,} users at most" if run.max_users is not None else "user count not recorded"
        page.text(
            f"{users}, {run.duration_seconds / 60:.1f} minutes; {requests:,} requests, {failures:,} failed{share}. "
            f"Warm-up: {steady.warmup.reason}."
        )
    table = endpoint_table(run)
    paths = []
    heading = "Endpoints (whole run)"
    if len(table) - len(totals) > rows:
        full = out / "endpoints.csv"
        out.mkdir(parents=True, exist_ok=True)
        write_text(full, table.to_csv(index=False))
        paths.append(full)
        heading = f"Endpoints (whole run): the {rows} busiest of {len(table) - len(totals):,}, all in {full.name}"
    page.table(heading, busiest(table, rows))
    page.table("Failures (failed requests, most frequent first)", failure_table(run, rows))
    more = _more(run.failures, "occurrences", rows, "kinds of failure")
    if more:
        page.text(more)
    page.table("Exceptions (errors raised in the locustfile, most frequent first)", exception_table(run, rows))
    more = _more(run.exceptions, "count", rows, "exceptions")
    if more:
        page.text(more)
    monitor_sections(run, page)
    pngs = pngs or plots.run_plots(run, steady, out)
    for heading, png in pngs.items():
        page.plot(heading, png)
    return [*page.write(out / "summary"), *paths, *pngs.values()]

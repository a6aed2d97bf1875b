"""``summary PREFIX``: per-endpoint figures, failures and the monitor's findings, as Markdown and HTML.

Usage::

    paths = write_summary(run, steady, out_dir)   # summary.md, summary.html (plots inlined), the PNGs
"""

from pathlib import Path

import pandas as pd

from reports import plots
from reports.render import Page

MONITOR_FIGURES = (
    "generator_cpu_percent",
    "target_cpu_percent",
    "target_memory_mb",
    "system_cpu_percent",
    "ws_sessions",
)


def endpoint_table(run) -> pd.DataFrame:
    stats = run.stats
    return pd.DataFrame(
        {
            "endpoint": stats["endpoint"].astype(str),
            "requests": stats["requests"],
            "failures": stats["failures"],
            "req/s": stats["rps"],
            "p50 ms": stats["p50"],
            "p95 ms": stats["p95"],
            "p99 ms": stats["p99"],
            "max ms": stats["max_ms"],
        }
    )


def failure_table(run, rows: int = 50) -> pd.DataFrame:
    failures = run.failures
    if failures.empty:
        return pd.DataFrame(columns=["method", "name", "error", "occurrences"])
    return failures.sort_values("occurrences", ascending=False).head(rows)[["method", "name", "error", "occurrences"]]


def monitor_sections(run, page: Page) -> None:
    monitor = run.monitor
    if monitor is None:
        page.text("No monitor export beside these files (run with --monitor-export PREFIX to have one).")
        return
    page.text((monitor.get("verdict") or {}).get("summary", "The monitor export has no verdict."))
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


def write_summary(run, steady, out: Path, pngs: dict | None = None) -> list[Path]:
    page = Page(f"Summary of {run.prefix}")
    page.text(
        f"{run.max_users} users at most, {run.duration_seconds / 60:.1f} minutes; "
        f"{int(run.stats.loc[run.stats['endpoint'] == 'Aggregated', 'requests'].sum())} requests. "
        f"Warm-up: {steady.warmup.reason}."
    )
    page.table("Endpoints (whole run)", endpoint_table(run))
    page.table("Failures", failure_table(run))
    monitor_sections(run, page)
    pngs = pngs or plots.run_plots(run, steady, out)
    for heading, png in pngs.items():
        page.plot(heading, png)
    return [*page.write(out / "summary"), *pngs.values()]

"""``history``: each key figure across a baseline's stored runs, as a table and a plot, change points marked.

Usage::

    paths = write_history(history, figures, runs, out, confidence=0.95, min_change=0.10)
    # out/history.md, out/history.html, out/history.png; history.csv: every run's figures

Key figures of each run (the steady state of its Aggregated row): mean latency (exact, from Locust's totals),
p95 (Locust's windowed percentile, with --csv-full-history), requests per second, failure rate. Change points:
``reports.change_points`` on each figure across the runs (relative changes for latency and throughput, points
for the failure rate), so a team sees between which runs, and by how much, it got slower.
"""

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import pandas as pd  # noqa: E402

from common.output_files import output_file  # noqa: E402
from reports.change_points import find_changes  # noqa: E402
from reports.render import Page  # noqa: E402
from reports.series import AGGREGATED  # noqa: E402

# figure -> (metric of RunFigures, heading, unit, relative changes)
FIGURES = {
    "mean_ms": ("mean", "mean latency", "ms", True),
    "p95_ms": ("p95", "p95 latency (windowed)", "ms", True),
    "rps": ("rps", "requests/s", "req/s", True),
    "failure_pct": ("failure_rate", "failure rate", "%", False),
}


def history_table(figures, runs) -> pd.DataFrame:
    rows = []
    for number, (figure, stored) in enumerate(zip(figures, runs, strict=True), start=1):
        aggregated = figure.estimates.get(AGGREGATED, {})
        row = {
            "run": number,
            "id": stored.id,
            "date": stored.meta.get("date"),
            "commit": (stored.meta.get("git_commit") or "")[:12],
            "users": stored.meta.get("users"),
            "seconds": stored.meta.get("duration_seconds"),
        }
        for column, (metric, *_rest) in FIGURES.items():
            estimate = aggregated.get(metric)
            row[column] = estimate.value if estimate is not None else math.nan
        rows.append(row)
    return pd.DataFrame(rows)


def _changes(table: pd.DataFrame, confidence: float, min_change: float) -> dict[str, list]:
    return {
        column: find_changes(
            table[column].to_numpy(dtype=float), confidence, min_change if relative else 1.0, log=relative
        )  # fmt: skip
        for column, (_metric, _heading, _unit, relative) in FIGURES.items()
    }


def _change_line(table: pd.DataFrame, column: str, change) -> str:
    _metric, heading, unit, relative = FIGURES[column]
    before, after = table.iloc[change.index - 1], table.iloc[change.index]
    size = f"{change.relative:+.1%}" if relative else f"{change.relative:+.2f} points"
    return (
        f"{heading}: {change.before:.4g} -> {change.after:.4g} {unit} ({size}) between run {before['run']} "
        f"({before['date']}, {before['commit'] or 'no commit'}) and run {after['run']} ({after['date']}, "
        f"{after['commit'] or 'no commit'}); permutation p = {change.p_value:.3g}"
    )


def _plot(table: pd.DataFrame, changes: dict, path: Path) -> Path:
    figure, axes = plt.subplots(len(FIGURES), 1, figsize=(11, 2.4 * len(FIGURES)), sharex=True)
    for axis, (column, (_metric, heading, unit, _relative)) in zip(axes, FIGURES.items(), strict=True):
        axis.plot(table["run"], table[column], marker="o", linewidth=1)
        for change in changes[column]:
            axis.axvline(table["run"].iloc[change.index] - 0.5, color="#c0392b", linestyle="--", linewidth=1)
        axis.set_ylabel(f"{heading} ({unit})", fontsize="small")
        axis.set_ylim(bottom=0)
    axes[-1].set_xlabel("run of the baseline history, oldest first (red dashes: a change of level)")
    axes[-1].set_xticks(table["run"])
    figure.suptitle("Aggregated figures of each run (steady state)")
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_file(str(path)) as handle:
        figure.savefig(handle, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def write_history(history, figures, runs, out: Path, confidence: float, min_change: float) -> list[Path]:
    table = history_table(figures, runs)
    changes = _changes(table, confidence, min_change)
    page = Page(f"History of baseline {history.name}: {len(table)} runs")
    for warning in history.warnings:
        page.text(warning, warning=True)
    lines = [_change_line(table, column, change) for column, found in changes.items() for change in found]
    page.text(
        "Changes of level (PELT change points, each confirmed by a permutation test at "
        f"{confidence:.0%} confidence, at least {min_change:.0%}; failure rate: 1 point):"
    )
    page.bullets(lines or ["none: every figure kept its level."])
    page.table("Runs", table)
    page.plot("Figures across the runs", _plot(table, changes, out / "history.png"))
    csv_path = out / "history.csv"
    with output_file(str(csv_path), text=True) as handle:
        table.to_csv(handle, index=False)
    return [*page.write(out / "history"), out / "history.png", csv_path]

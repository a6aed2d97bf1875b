"""``trend PREFIX``: how each endpoint behaved over time, steady state only, with a stated test.

Usage::

    table, shifts = trend_table(steady, confidence=0.95)   # per series: direction, slope, p; shifts: one row each
    paths = write_trend(run, steady, out_dir, confidence=0.95)

Each series (RPS, failure rate, p50/p95/p99, and users on the aggregate) is classified as
increasing, decreasing or stable by ``reports.trend_detection.classify_trend`` (Mann-Kendall on block
means, Theil-Sen slope) after the warm-up is cut; a significant trend smaller than ``min_change``
of the series' level over the steady state (default 10%) counts as stable: with a day of data,
tiny slopes are significant and meaningless.
"""

import math
from pathlib import Path

import pandas as pd

from reports import plots
from reports.level_shifts import BLOCK_SECONDS, find_shifts
from reports.monitor_trends import monitor_trends
from reports.render import Page, write_text
from reports.series import AGGREGATED, LABELS, METRICS
from reports.summary import BUSIEST
from reports.trend_detection import classify_trend


def _direction(trend, min_change: float) -> str:
    if math.isnan(trend.p_value):
        return "not tested"
    if trend.direction != "stable" and not abs(trend.relative_change) >= min_change:
        return "stable"  # significant, but smaller than a change that matters (or no level to compare with)
    return trend.direction


def trend_table(
    steady, confidence: float, progress=None, min_change: float = 0.10, endpoints: list[str] | None = None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each series' trend (one row per endpoint and metric), and its level shifts (one row each)."""
    rows, shift_rows = [], []
    endpoints = steady.endpoints() if endpoints is None else endpoints
    for index, endpoint in enumerate(endpoints):
        if progress:
            progress("trends", index / max(len(endpoints), 1))
        for metric in METRICS:
            if metric == "users" and endpoint != AGGREGATED:
                continue  # the user count is the run's, not an endpoint's
            times, values = steady.series(endpoint, metric)
            trend = classify_trend(times, values, confidence=confidence)
            shifts = [] if metric == "users" else find_shifts(times, values, metric, confidence, min_change)
            direction = _direction(trend, min_change)
            if shifts and direction in ("stable", "not tested"):
                direction = "level shift"
            rows.append(
                {
                    "endpoint": endpoint,
                    "metric": metric,
                    "direction": direction,
                    "change": trend.relative_change,
                    "slope per hour": trend.slope_per_hour,
                    "p": trend.p_value,
                    "shifts": len(shifts),
                    "test": trend.test,
                }
            )
            shift_rows += [
                {
                    "endpoint": endpoint,
                    "metric": metric,
                    "from minute": shift.at_seconds / 60,
                    "before": shift.before,
                    "after": shift.after,
                    "change": shift.text(LABELS[metric]).split("(")[-1].split(")")[0],
                    "p": shift.p_value,
                }
                for shift in shifts
            ]
    columns = ["endpoint", "metric", "direction", "change", "slope per hour", "p", "shifts", "test"]
    shift_columns = ["endpoint", "metric", "from minute", "before", "after", "change", "p"]
    return pd.DataFrame(rows, columns=columns), pd.DataFrame(shift_rows, columns=shift_columns)


def write_trend(
    run, steady, out: Path, confidence: float, progress=None, pngs: dict | None = None, min_change: float = 0.10,
    rows: int = BUSIEST,
) -> list[Path]:  # fmt: skip
    page = Page(f"Trends of {run.prefix}")
    page.text(
        f"Warm-up left out: {steady.warmup.cut_seconds:.0f} s ({steady.warmup.reason}); "
        f"and the last {steady.cooldown_seconds} s, after the users began to stop."
    )
    page.text(
        f"Each series is tested for a monotonic trend at {confidence:.0%} confidence "
        "(Mann-Kendall on block means; slope by Theil-Sen, in the metric's unit per hour); a trend counts only "
        f"when the series changes by at least {min_change:.0%} of its level over the steady state (change). "
        f"Level shifts: change points (PELT, each confirmed by a permutation test) on means of at least "
        f"{BLOCK_SECONDS:.0f} s, at least {min_change:.0%} (failure rate: 1 point); 'from minute' counts from "
        "the run's start, the levels are the means before and after."
    )
    if not run.full_history:
        page.text(
            "Only aggregated history, with cumulative percentiles: percentile trends and per-endpoint trends "
            "need Locust's --csv-full-history.",
            warning=True,
        )
    if run.max_users is None:
        page.text("The history holds no user count (Locust before 1.0): the users series is empty.", warning=True)
    busiest = _busiest(run, steady, rows)
    table, shifts = trend_table(steady, confidence, progress, min_change, busiest)
    paths = []
    if len(busiest) < len(steady.endpoints()):
        page.text(f"The {rows} busiest endpoints of {len(steady.endpoints()):,} (by requests) and Aggregated.")
    changing = table[table["direction"].isin(("increasing", "decreasing", "level shift"))]
    page.table("Trending series and level shifts", changing)
    page.table("Level shifts", shifts)
    monitor_trends(run, page, confidence, min_change)
    page.table("All series", table)
    out.mkdir(parents=True, exist_ok=True)
    full = out / "trend.csv"
    write_text(full, table.to_csv(index=False))
    paths.append(full)
    pngs = pngs or plots.run_plots(run, steady, out)
    for heading, png in pngs.items():
        page.plot(heading, png)
    return [*page.write(out / "trend"), *paths, *pngs.values()]


def _busiest(run, steady, rows: int) -> list[str]:
    """Aggregated and the ``rows`` endpoints with the most requests (from the stats file)."""
    present = set(steady.endpoints())
    stats = run.stats.sort_values("requests", ascending=False, kind="stable")
    ranked = [name for name in stats["endpoint"].astype(str) if name in present and name != AGGREGATED]
    ranked += sorted(present - set(ranked) - {AGGREGATED})  # in the history only (ctxload's push rows)
    return ([AGGREGATED] if AGGREGATED in present else []) + ranked[:rows]

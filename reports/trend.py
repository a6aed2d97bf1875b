"""``trend PREFIX``: how each endpoint behaved over time, steady state only, with a stated test.

Usage::

    table = trend_table(steady, confidence=0.95)   # endpoint, metric, direction, slope per hour, p, test
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
from reports.render import Page
from reports.series import AGGREGATED, METRICS
from reports.trend_detection import classify_trend


def _direction(trend, min_change: float) -> str:
    if math.isnan(trend.p_value):
        return "not tested"
    if trend.direction != "stable" and not abs(trend.relative_change) >= min_change:
        return "stable"  # significant, but smaller than a change that matters (or no level to compare with)
    return trend.direction


def trend_table(steady, confidence: float, progress=None, min_change: float = 0.10) -> pd.DataFrame:
    rows = []
    endpoints = steady.endpoints()
    for index, endpoint in enumerate(endpoints):
        if progress:
            progress("trends", index / max(len(endpoints), 1))
        for metric in METRICS:
            if metric == "users" and endpoint != AGGREGATED:
                continue  # the user count is the run's, not an endpoint's
            times, values = steady.series(endpoint, metric)
            trend = classify_trend(times, values, confidence=confidence)
            rows.append(
                {
                    "endpoint": endpoint,
                    "metric": metric,
                    "direction": _direction(trend, min_change),
                    "change": trend.relative_change,
                    "slope per hour": trend.slope_per_hour,
                    "p": trend.p_value,
                    "test": trend.test,
                }
            )
    return pd.DataFrame(rows, columns=["endpoint", "metric", "direction", "change", "slope per hour", "p", "test"])


def write_trend(
    run, steady, out: Path, confidence: float, progress=None, pngs: dict | None = None, min_change: float = 0.10
) -> list[Path]:
    page = Page(f"Trends of {run.prefix}")
    page.text(
        f"Warm-up left out: {steady.warmup.cut_seconds:.0f} s ({steady.warmup.reason}); "
        f"and the last {steady.cooldown_seconds} s, after the users began to stop."
    )
    page.text(
        f"Each series is tested for a monotonic trend at {confidence:.0%} confidence "
        "(Mann-Kendall on block means; slope by Theil-Sen, in the metric's unit per hour); a trend counts only "
        f"when the series changes by at least {min_change:.0%} of its level over the steady state (change)."
    )
    if not run.full_history:
        page.text(
            "Only aggregated history, with cumulative percentiles: percentile trends and per-endpoint trends "
            "need Locust's --csv-full-history.",
            warning=True,
        )
    table = trend_table(steady, confidence, progress, min_change)
    changing = table[table["direction"].isin(("increasing", "decreasing"))]
    page.table("Trending series", changing)
    page.table("All series", table)
    pngs = pngs or plots.run_plots(run, steady, out)
    for heading, png in pngs.items():
        page.plot(heading, png)
    return [*page.write(out / "trend"), *pngs.values()]

"""Trends of the monitor export's series (``PREFIX_monitor.csv``): does the target's memory grow under load?

The leak figure of a soak is the target's memory growth per hour, with a verdict::

    from reports.monitor_trends import memory_growth, monitor_trends

    growth = memory_growth(rows, confidence=0.95, min_change=0.10)   # rows: PREFIX_monitor.csv as a frame
    growth.verdict, growth.per_hour_mb, growth.low_mb, growth.high_mb, growth.text
    monitor_trends(run, page, confidence, min_change)                # the trend page's section

Method. The snapshots while the run was running (``state`` "running"), the first ``SETTLE_SHARE`` of them left
out (pools and caches fill at the start: growth that stops is not a leak), averaged into ``BLOCKS`` block
means (memory samples are strongly autocorrelated, block means much less; the interval below assumes
independent points), then the Theil-Sen slope with its confidence interval (Sen 1968, as ``scipy.stats.theilslopes``
computes it). What matters is a growth of ``min_change`` (10%) of the memory's level a day: a server must run for
days. Verdict: "grows" when the whole interval is above 0 and the slope is at least that; "flat" when the whole
interval stays within that much either way; "inconclusive" otherwise (a longer soak narrows the interval);
"too short" under ``MIN_MINUTES`` of window.
CPU, push latency and reach: ``reports.trend_detection`` (Mann-Kendall, Theil-Sen) and ``reports.level_shifts``.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.stats import theilslopes

from reports.level_shifts import find_shifts
from reports.statistics import time_blocks
from reports.trend_detection import classify_trend

SETTLE_SHARE = 0.2
BLOCKS = 20
MIN_MINUTES = 10.0
SERIES = {  # monitor column -> (label, unit, metric kind for level shifts: relative or in points)
    "target_cpu_percent": ("target CPU", "%", "rps"),
    "generator_cpu_percent": ("generator CPU", "%", "rps"),
    "push_p95_ms": ("push latency p95", "ms", "p95"),
    "push_reach_percent": ("push reach", "%", "failure_rate"),
}


@dataclass(frozen=True)
class MemoryGrowth:
    verdict: str  # "grows" | "flat" | "inconclusive" | "too short" | "no data"
    per_hour_mb: float  # Theil-Sen slope, MB per hour (NaN without data)
    low_mb: float  # its confidence interval, MB per hour
    high_mb: float
    level_mb: float  # median memory over the window
    window_minutes: float
    text: str  # one line for the report


def memory_growth(rows: pd.DataFrame, confidence: float = 0.95, min_change: float = 0.10) -> MemoryGrowth:
    times, memory = _running(rows, "target_memory_mb")
    if times.size < 2:
        return MemoryGrowth("no data", math.nan, math.nan, math.nan, math.nan, 0.0,
                            "No target memory in the monitor export (was the target's process found?).")  # fmt: skip
    settled = times >= times[0] + SETTLE_SHARE * (times[-1] - times[0])
    times, memory = times[settled], memory[settled]
    minutes = float(times[-1] - times[0]) / 60
    level = float(np.median(memory))
    if minutes < MIN_MINUTES or times.size < 4:
        text = (f"Target memory: {minutes:.0f} min of settled snapshots, too short to tell growth "
                f"(need {MIN_MINUTES:.0f}; a soak of an hour or more tells a leak from noise).")  # fmt: skip
        return MemoryGrowth("too short", math.nan, math.nan, math.nan, level, minutes, text)
    block_times, means, _, _ = time_blocks(times, memory, (times[-1] - times[0]) / BLOCKS, BLOCKS)
    slope, _, low, high = theilslopes(means, block_times, alpha=confidence)
    per_hour, low_h, high_h = slope * 3600, low * 3600, high * 3600
    matters = min_change * level / 24  # MB per hour: min_change of the level a day, what a server must not lose
    if low_h > 0 and per_hour >= matters:
        verdict = "grows"
    elif low_h > -matters and high_h < matters:
        verdict = "flat"
    else:
        verdict = "inconclusive"
    meaning = {
        "grows": f"memory grows under sustained load, {per_hour * 24 / level:.0%} of its level a day "
        "(a leak, or a cache that never stops filling)",
        "flat": f"no growth that matters (under {min_change:.0%} of its level a day, {matters:.1f} MB/h)",
        "inconclusive": f"neither a growth of {min_change:.0%} of its level a day nor its absence is shown: "
        "a longer soak would tell",
    }[verdict]
    text = (f"Target memory: {verdict}: {per_hour:+.1f} MB/h ({confidence:.0%} interval {low_h:+.1f} to "
            f"{high_h:+.1f}) at {level:.0f} MB, over {minutes:.0f} min after the first {SETTLE_SHARE:.0%} of "
            f"the run: {meaning}.")  # fmt: skip
    return MemoryGrowth(verdict, per_hour, low_h, high_h, level, minutes, text)


def monitor_trends(run, page, confidence: float, min_change: float) -> None:
    """The trend page's section on the monitor export, when one is beside the CSV files."""
    rows = run.monitor_rows
    if rows is None or rows.empty:
        page.text("No monitor export beside these files: no target memory or CPU trends (run with --monitor-export).")
        return
    page.text(memory_growth(rows, confidence, min_change).text)
    table = []
    for column, (label, unit, kind) in SERIES.items():
        times, values = _running(rows, column)
        if times.size < 2:
            continue
        trend = classify_trend(times, values, confidence=confidence)
        shifts = find_shifts(times, values, kind, confidence, min_change)
        table.append(
            {
                "figure": f"{label} ({unit})",
                "mean": float(np.mean(values)),
                "max": float(np.max(values)),
                "direction": trend.direction if math.isfinite(trend.p_value) else "not tested",
                "slope per hour": trend.slope_per_hour,
                "level shifts": "; ".join(shift.text(unit) for shift in shifts),
            }
        )
    page.table("Monitor series (while running)", pd.DataFrame(table))


def _running(rows: pd.DataFrame, column: str) -> tuple[np.ndarray, np.ndarray]:
    """Seconds since the run's start and values of one column, from the snapshots taken while running."""
    if column not in rows or "elapsed" not in rows:
        return np.empty(0), np.empty(0)
    running = rows["state"].astype(str).eq("running") if "state" in rows else pd.Series(True, index=rows.index)
    values = pd.to_numeric(rows[column], errors="coerce").to_numpy(dtype=float)
    times = pd.to_numeric(rows["elapsed"], errors="coerce").to_numpy(dtype=float)
    keep = running.to_numpy() & np.isfinite(values) & np.isfinite(times)
    return times[keep], values[keep]

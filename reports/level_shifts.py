"""Where a run's series changed level, and from what to what: change points on minute means of one run.

A monotonic-trend test misses a run that is flat for two hours and collapses in its last half hour: Mann-Kendall
weighs every pair of points alike, and the autocorrelation correction inflates its variance further. A level shift
is a finding of its own. This runs ``reports.change_points.find_changes`` (PELT, then a permutation test per
change: the method the baselines' history view uses) on the block means of a series::

    from reports.level_shifts import find_shifts

    for shift in find_shifts(times, values, metric="rps", confidence=0.95, min_change=0.10):
        shift.at_seconds, shift.before, shift.after, shift.change, shift.p_value

Blocks are ``BLOCK_SECONDS`` (60 s) or longer: six times Locust's 10-s window, so that consecutive block means
share little of it (a permutation test assumes exchangeable points; with 10-s blocks a flat series showed
shifts far more often than the level asked for). Relative changes (and ``min_change`` relative) for rates and
latencies; for the failure rate, changes in points of percentage with ``min_points``.
"""

from dataclasses import dataclass

import numpy as np

from reports.change_points import find_changes
from reports.statistics import time_blocks

BLOCK_SECONDS = 60.0
MAX_BLOCKS = 500
MIN_SEGMENT_BLOCKS = 3
RELATIVE_METRICS = {"rps", "p50", "p95", "p99", "mean_ms"}


@dataclass(frozen=True)
class Shift:
    at_seconds: float  # when the new level starts (the first block's start), seconds from the series' start
    before: float  # the level before (a geometric mean for relative metrics) and after
    after: float
    change: float  # after / before - 1 for relative metrics, after - before (points) for the failure rate
    relative: bool
    p_value: float

    def text(self, unit: str) -> str:
        size = f"{self.change:+.0%}" if self.relative else f"{self.change:+.1f} points"
        return f"{self.before:.3g} -> {self.after:.3g} {unit} ({size}) from +{self.at_seconds / 60:.1f} min"


def find_shifts(
    times: np.ndarray,
    values: np.ndarray,
    metric: str,
    confidence: float = 0.95,
    min_change: float = 0.10,
    min_points: float = 1.0,
) -> list[Shift]:
    """Level shifts of one series (times in seconds, NaN-free or not), oldest first."""
    times, values = np.asarray(times, dtype=float), np.asarray(values, dtype=float)
    if times.size < 2:
        return []
    block_times, means, length, _ = time_blocks(times, values, BLOCK_SECONDS, MAX_BLOCKS)
    relative = metric in RELATIVE_METRICS and bool((means > 0).all())
    if relative:
        threshold = min_change
    elif metric in RELATIVE_METRICS:  # a rate that drops to 0: changes in its own unit, min_change of its median
        threshold = min_change * float(np.median(means)) if means.size else 0.0
    else:  # the failure rate (and other percentages): points
        threshold = min_points
    start = float(times[np.isfinite(values)][0]) if np.isfinite(values).any() else float(times[0])
    shifts = []
    min_segment = max(MIN_SEGMENT_BLOCKS, means.size // 20)  # a level that matters lasts; noise makes short ones
    for change in find_changes(means, confidence, threshold, log=relative, min_segment=min_segment):
        block_start = block_times[change.index] - length / 2  # the block's mean time is about its middle
        shifts.append(
            Shift(max(0.0, float(block_start)) + start - float(times[0]), change.before, change.after,
                  change.relative, relative, change.p_value)
        )  # fmt: skip
    return shifts

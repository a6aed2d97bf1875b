"""The leak verdict on the target's memory (reports.monitor_trends), on series of known growth."""

import numpy as np
import pandas as pd
import pytest

from reports.monitor_trends import memory_growth


def rows(minutes: float, growth_mb_per_hour: float, seed: int = 1, every: float = 2.0) -> pd.DataFrame:
    """Snapshots every ``every`` s: 300 MB, the growth, garbage-collector saw-teeth and noise of a few MB."""
    rng = np.random.default_rng(seed)
    elapsed = np.arange(0.0, minutes * 60, every)
    saw = 8 * ((elapsed % 97) / 97)  # a heap that grows and is collected every ~97 s
    memory = 300 + growth_mb_per_hour * elapsed / 3600 + saw + rng.normal(0, 2, elapsed.size)
    return pd.DataFrame({"elapsed": elapsed, "state": "running", "target_memory_mb": memory})


@pytest.mark.parametrize(
    ("minutes", "growth", "verdict"),
    [(120, 60.0, "grows"), (30, 8.0, "grows"), (120, 0.0, "flat"), (5, 60.0, "too short"), (30, 0.0, "inconclusive")],
)
def test_the_verdict_follows_the_growth(minutes, growth, verdict):
    found = memory_growth(rows(minutes, growth))
    assert found.verdict == verdict, found.text
    if verdict == "grows":
        assert found.low_mb <= growth <= found.high_mb and abs(found.per_hour_mb - growth) < 10


def test_flat_series_are_rarely_called_growing():
    """50 flat two-hour soaks with different noise: none may read "grows" (at 95%, about 2 or 3 could by chance
    if the interval were exact; block means keep the saw-teeth from making it too narrow)."""
    verdicts = [memory_growth(rows(120, 0.0, seed)).verdict for seed in range(50)]
    assert verdicts.count("grows") <= 3, verdicts


def test_snapshots_not_running_and_without_memory_are_left_out():
    frame = rows(120, 60.0)
    frame.loc[frame.index[:100], "state"] = "spawning"
    frame.loc[frame.index[-50:], "target_memory_mb"] = np.nan
    assert memory_growth(frame).verdict == "grows"
    assert memory_growth(frame.drop(columns="target_memory_mb")).verdict == "no data"

"""Locust's Requests/s and Failures/s read again from the totals when Locust wrote zeros all along.

Locust's ``Requests/s`` in the history is the mean over a sliding window of about 10 s that ends 2 s before the
row. In some runs it stays 0 while ``Total Request Count`` rises (seen in a public run whose every request took
60 s: 881 requests, Requests/s 0 in all 1,371 rows). The reports would take those zeros at face value. So, per
endpoint, when Requests/s is 0 in at least ``ZERO_SHARE`` of the rows where the total rose (and in at least
``MIN_ROWS`` of them), both rates are read from the totals over the same 10-s span instead, and a warning says so.
A low rate alone does not trigger it: at 0.1 requests/s the window is empty, rightly, in many rows::

    from reports.rates_from_totals import fill_zero_rates

    for line in fill_zero_rates(history, path):   # in place; one line per file, naming the endpoints
        print(line)
"""

import numpy as np
import pandas as pd

WINDOW_SECONDS = 10.0
ZERO_SHARE = 0.9
MIN_ROWS = 5


def fill_zero_rates(history: pd.DataFrame, path) -> list[str]:
    """Replaces the rates of endpoints whose Requests/s is 0 while their totals rise; the warning, if any."""
    if not {"total_requests", "total_failures", "rps", "fail_rps"} <= set(history.columns):
        return []
    replaced: list[str] = []
    columns = ("timestamp", "total_requests", "total_failures", "rps")
    all_times, all_requests, all_failures, all_rps = (history[column].to_numpy(dtype=float) for column in columns)
    for (type_, name), rows in history.groupby(["type", "name"], observed=True, sort=False).indices.items():
        times, totals = all_times[rows], all_requests[rows]
        rising = np.r_[False, np.diff(totals) > 0]
        zero = rising & (all_rps[rows] == 0)
        if rising.sum() < MIN_ROWS or zero.sum() < ZERO_SHARE * rising.sum():
            continue
        for rate, total in (("rps", totals), ("fail_rps", all_failures[rows])):
            history.loc[history.index[rows], rate] = _windowed_rate(times, total)
        replaced.append(f"{type_} {name}".strip())
    if not replaced:
        return []
    shown = ", ".join(replaced[:3]) + (f" and {len(replaced) - 3} more" if len(replaced) > 3 else "")
    return [
        f"{path}: Requests/s is 0 while Total Request Count rises ({shown}): rates read from the totals instead "
        f"(requests per second over the {WINDOW_SECONDS:g} s before each row)"
    ]


def _windowed_rate(times: np.ndarray, totals: np.ndarray) -> np.ndarray:
    """(total now - total WINDOW_SECONDS before) / the seconds between those rows; 0 for the first row."""
    start = np.searchsorted(times, times - WINDOW_SECONDS, side="left")
    seconds = times - times[start]
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(seconds > 0, (totals - totals[start]) / seconds, 0.0)

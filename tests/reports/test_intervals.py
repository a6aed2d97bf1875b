"""Exact per-interval figures from Locust's cumulative totals, checked by hand and against Locust's own request log."""

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from reports.intervals import from_totals, merge_blocks, reporting_period
from reports.load import load_run
from tests.conftest import PROJECT_ROOT


def test_each_interval_holds_exactly_what_the_totals_moved_by():
    # 10 requests averaging 20 ms, then 5 more averaging 50 ms (total 15 at 30 ms), then 5 averaging 30 ms
    spans = from_totals([100, 101, 102, 103], [0, 10, 15, 20], [0, 1, 1, 3], [0.0, 20.0, 30.0, 30.0])
    assert spans.requests.tolist() == [10, 5, 5] and spans.failures.tolist() == [1, 0, 2]
    np.testing.assert_allclose(spans.mean_ms, [20.0, 50.0, 30.0])
    np.testing.assert_allclose(spans.failure_percent, [10.0, 0.0, 40.0])
    assert spans.rate.tolist() == [10, 5, 5] and spans.end.tolist() == [101, 102, 103]


def test_two_rows_in_one_second_keep_the_last_and_a_reset_starts_afresh():
    spans = from_totals([1, 2, 2, 3, 4, 5], [0, 4, 6, 8, 2, 5], [0] * 6, [0, 10, 10, 10, 20, 20])
    assert spans.end.tolist() == [2, 3, 5] and spans.requests.tolist() == [6, 2, 3]  # the drop at 4: a reset


def test_a_master_that_hears_its_workers_every_3_s_gets_blocks_of_3_s():
    requests = np.cumsum([0] + [0, 0, 90] * 10)
    spans = from_totals(np.arange(31), requests, np.zeros(31), np.full(31, 40.0))
    assert reporting_period(spans) == 3.0
    blocks = merge_blocks(spans, 3.0)
    assert blocks.size == 10 and (blocks.seconds == 3).all() and (blocks.rate == 30).all()
    assert merge_blocks(spans, 1.0).size == 10  # a block needs a request too


@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    """A 20-s run of a plain locustfile that also logs every request with Locust's own CsvRequestLogger, against
    a server 20 ms slow (a steady latency: a bin's mean then hardly moves with the second or so at its edges)."""
    from refserver.launcher import ReferenceServer

    folder = tmp_path_factory.mktemp("logged")
    locustfile = folder / "logged_locustfile.py"
    locustfile.write_text(
        "from locust import events\n"
        "from locust.contrib.csv_request_logger import CsvRequestLogger\n"
        f"from tests.reports.plain_locustfile import PlainUser  # noqa: F401\n\n"
        f"requests = CsvRequestLogger({str(folder / 'requests.csv')!r})\n"
        "events.init.add_listener(lambda environment, **_kw: requests.register(environment))\n"
    )
    with ReferenceServer("--inject-latency-ms", "20", dump_dir=folder / "dumps") as server:
        subprocess.run(
            [sys.executable, "-m", "locust", "-f", str(locustfile), "--headless", "-u", "10", "-r", "10", "-t", "20s",
             "--host", server.url, "--csv", str(folder / "run"), "--csv-full-history", "--only-summary"],
            cwd=PROJECT_ROOT, check=True, capture_output=True, timeout=120,
        )  # fmt: skip
    return folder


def test_the_intervals_agree_with_locusts_own_log_of_every_request(logged_run: Path):
    run = load_run(str(logged_run / "run"))
    rows = run.history[run.history["endpoint"] == "Aggregated"]
    spans = from_totals(rows["timestamp"], rows["total_requests"], rows["total_failures"], rows["total_avg_ms"])
    with open(logged_run / "requests.csv", newline="") as handle:
        logged = [row for row in csv.DictReader(handle)]
    ends = np.array([float(r["timestamp"]) + float(r["response_time_ms"]) / 1000 for r in logged])
    times = np.array([float(r["response_time_ms"]) for r in logged])
    first, last = rows.iloc[0], rows.iloc[-1]
    assert spans.requests.sum() == last["total_requests"] - first["total_requests"]  # nothing lost between rows
    # Between the first and the last row the log saw as many requests complete, but for those of the rows' own
    # seconds (a row is stamped with the whole second in which it was written).
    between = (ends > first["timestamp"]) & (ends <= last["timestamp"])
    assert abs(spans.requests.sum() - between.sum()) <= 2 * spans.rate.max()
    # 5-s bins by completion time: a row is written within its second, so at most ~1 s of each bin is misplaced.
    edges = np.arange(spans.end[0], spans.end[-1] + 1, 5.0)
    for low, high in zip(edges[:-1], edges[1:], strict=False):
        mine = (spans.end > low) & (spans.end <= high)
        theirs = (ends > low) & (ends <= high)
        if theirs.sum() < 100:
            continue
        assert spans.time_ms[mine].sum() / spans.requests[mine].sum() == pytest.approx(times[theirs].mean(), rel=0.1)

"""Paced mode: the schedule, schedule lag, and latency from the intended start."""

import csv

from locust import constant

from traffic.pacing import LAG, Pacer, paced_stats, write_csv
from traffic.writer import ContextWriter


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_pacer_keeps_a_fixed_schedule_whatever_each_iteration_took():
    clock = FakeClock()
    pacer = Pacer(0.5, clock=clock)
    clock.now += 0.1  # iteration 0 took 0.1 s
    assert round(pacer.wait(), 6) == 0.4 and pacer.intended_start == 1000.5
    clock.now = 1001.2  # iteration 1 started at 1000.5 and took 0.7 s: behind
    assert pacer.wait() == 0.0 and pacer.intended_start == 1001.0
    clock.now = 1001.3
    assert round(pacer.wait(), 6) == 0.2  # iteration 3 is due at 1001.5: the schedule did not slip
    assert pacer.context()["paced_intended_start"] == 1001.5


class Writer(ContextWriter):
    wait_time = constant(1)  # replaced by the pacer in paced mode


def test_paced_run_reports_lag_and_latency_from_intended_start(run_locust, server):
    environment = run_locust([Writer], server.url, seconds=2, users=3, pace=0.1)
    paced = paced_stats(environment)
    lag = paced.get(LAG[1], LAG[0])
    writes = paced.get("POST /ctx", "POST")
    ordinary = environment.stats.get("POST /ctx", "POST")
    assert ordinary.num_requests >= 30  # 3 users x 2 s / 0.1 s, far above unpaced (1 s waits)
    assert lag.num_requests > 0 and writes.num_requests == ordinary.num_requests
    assert writes.get_response_time_percentile(0.5) >= ordinary.get_response_time_percentile(0.5)
    assert paced.total.num_requests == writes.num_requests  # the lag is not counted as a request


def test_slow_server_makes_the_schedule_slip_and_it_shows(run_locust, start_server):
    server = start_server("--inject-latency-ms", "300")
    environment = run_locust([Writer], server.url, seconds=2, users=2, pace=0.1)
    paced = paced_stats(environment)
    # Each write takes >= 300 ms but is due every 100 ms: the lag grows by >= 200 ms an iteration.
    assert paced.get(LAG[1], LAG[0]).max_response_time >= 400
    writes = paced.get("POST /ctx", "POST")
    assert writes.max_response_time > environment.stats.get("POST /ctx", "POST").max_response_time


def test_paced_figures_written_as_csv(run_locust, server, tmp_path):
    environment = run_locust([Writer], server.url, seconds=1, users=2, pace=0.1)
    path = tmp_path / "run_paced.csv"
    write_csv(paced_stats(environment), str(path))
    rows = list(csv.DictReader(path.open()))
    assert {row["Name"] for row in rows} >= {"POST /ctx", "schedule lag", "Aggregated"}
    assert all(int(row["Request Count"]) > 0 for row in rows)

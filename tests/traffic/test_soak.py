"""The soak shape's periodic summary line."""

import logging

from locust import constant

from traffic.writer import ContextWriter


class Writer(ContextWriter):
    wait_time = constant(0.05)


def test_soak_logs_a_summary_every_interval(run_locust, server, caplog):
    with caplog.at_level(logging.INFO, logger="traffic.soak"):
        run_locust([Writer], server.url, seconds=1.3, users=2, shape="soak", summary_every=0.4)
    lines = [record.getMessage() for record in caplog.records if record.name == "traffic.soak"]
    assert len(lines) >= 2, lines
    assert all(line.startswith("Soak 0:00:0") and "users" in line and "req/s now" in line for line in lines)


def test_no_summary_without_the_soak_shape(run_locust, server, caplog):
    with caplog.at_level(logging.INFO, logger="traffic.soak"):
        run_locust([Writer], server.url, seconds=0.8, users=1, summary_every=0.2)
    assert not [record for record in caplog.records if record.name == "traffic.soak"]

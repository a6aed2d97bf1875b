"""``python -m refserver``: bad options end it with one clear line and exit 2; defaults are safe."""

import subprocess
import sys

import pytest

from refserver.cli import READY_PREFIX, parse_config
from refserver.launcher import PROJECT_ROOT


@pytest.mark.parametrize(
    "option, value",
    [
        ("--error-rate", "1.5"),
        ("--error-rate", "often"),
        ("--drop-write-rate", "-0.1"),
        ("--drop-push-rate", "2"),
        ("--inject-latency-ms", "fast"),
        ("--inject-latency-ms", "10:-5"),
        ("--inject-latency-ms", "-3"),
        ("--port", "70000"),
        ("--history-limit", "-1"),
        ("--max-body", "0"),
        ("--max-body", "1MB"),
    ],
)
def test_bad_option_is_one_line_and_exit_2(option, value):
    result = subprocess.run(
        [sys.executable, "-m", "refserver", option, value], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and value in lines[0], result.stderr
    assert result.stdout == ""


def test_port_in_use_is_one_line_and_exit_2(server):
    port = server.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "refserver", "--port", port],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and port in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_defaults():
    config = parse_config([])
    assert config.host == "127.0.0.1" and config.port == 8080
    assert config.history_limit == 100_000 and config.max_body == 1_048_576
    assert config.faults.error_rate == 0 and config.faults.latency.mean_ms == 0


def test_binds_loopback_when_no_host_is_given():
    process = subprocess.Popen(
        [sys.executable, "-m", "refserver", "--port", "0"], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline()
        assert line.startswith(READY_PREFIX + "http://127.0.0.1:")
    finally:
        process.terminate()
        process.wait(10)

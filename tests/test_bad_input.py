"""Bad suite input, table-driven: one clear line, a non-zero exit, no traffic sent, nothing overwritten.

Every ``locust`` case points at a loopback listener that counts connections (none may arrive) and
at ``--csv``/``--monitor-export``/``--junit`` files that already hold a sentinel (none may change).
"""

import re
import subprocess
import sys

import pytest

from tests.conftest import PROJECT_ROOT

SENTINEL = "an earlier run's figures\n"
LOG_LINE = re.compile(r"^\[\d{4}-\d\d-\d\d [\d:,]+\] \S+/INFO/")

THRESHOLDS = {
    "malformed.toml": "[[rule]\nmetric = 'rps'\n",
    "unknown-metric.toml": "[[rule]]\nmetric = 'cpu'\nwarning = 1\n",
    "inverted.toml": "[[rule]]\nmetric = 'avg_response_ms'\nwarning = 900\ncritical = 100\n",
    "negative.toml": "[[rule]]\nmetric = 'users'\nwarning = 5\nsustained_for = '-1s'\n",
    "duplicate.toml": "[[rule]]\nname = 'a'\nmetric = 'rps'\nwarning = 1\n"
    "[[rule]]\nname = 'a'\nmetric = 'users'\nwarning = 1\n",
}

# (extra locust arguments, text the one error line must contain)
LOCUST_CASES = [
    (["--hot-share", "3"], "--hot-share: expected a fraction from 0 to 1, got '3'"),
    (["--payload-bytes", "0"], "--payload-bytes: expected a whole number from 16 to 1000000, got '0'"),
    (["--key-prefix", "a b"], "--key-prefix: expected letters, digits"),
    (["--shape", "wobble"], "--shape"),
    (["--audit-timeout", "99"], "--audit-timeout: expected at most 50 seconds, got '99'"),
    (["--push-deadline", "0"], "--push-deadline: expected a duration above 0, got '0'"),
    (
        ["--large-min-bytes", "5000", "--large-max-bytes", "4000"],
        "--large-min-bytes 5000 must not exceed --large-max-bytes 4000",
    ),
    (["--monitor-interval", "0"], "--monitor-interval: expected seconds from 0.1 to 60, got '0'"),
    (["--monitor-retention", "ten"], "--monitor-retention: expected a number of snapshots"),
    (["--target-pid", "-4"], "--target-pid: expected a process id, got '-4'"),
    (["--server-poll-interval", "0.1"], "--server-poll-interval: expected 0 (off) or at least 0.5 seconds"),
    (["--thresholds", "{dir}/absent.toml"], "absent.toml"),
    (["--thresholds", "{dir}/malformed.toml"], "malformed.toml:1:"),
    (["--thresholds", "{dir}/unknown-metric.toml"], "unknown metric 'cpu'"),
    (["--thresholds", "{dir}/inverted.toml"], "warning 900 is above critical 100"),
    (["--thresholds", "{dir}/negative.toml"], "negative.toml:4:"),
    (["--thresholds", "{dir}/duplicate.toml"], "duplicate.toml:6:"),
    (["--config", "{dir}/bad.conf"], "--payload-bytes: expected a whole number from 16 to 1000000, got 'huge'"),
]

# python -m refserver and python -m reports: (module and arguments, text of the one error line)
OTHER_CASES = [
    (["refserver", "--port", "99999"], "--port"),
    (["refserver", "--error-rate", "2"], "--error-rate"),
    (["reports", "summary", "{dir}/nowhere"], "nowhere_stats.csv: no such file"),
    (["reports", "summary", "{dir}/foreign"], "foreign_stats.csv: not a Locust stats file"),
    (["reports", "compare", "{dir}/foreign", "--baseline", "nope", "--baselines", "{dir}/b"], "no baseline 'nope'"),
    (["reports", "baseline", "save", "../up", "{dir}/foreign", "--baselines", "{dir}/b"], "baseline name '../up'"),
]


@pytest.fixture
def inputs(tmp_path):
    for name, text in THRESHOLDS.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "bad.conf").write_text("payload-bytes = huge\n")
    (tmp_path / "foreign_stats.csv").write_text("time,elapsed,state\n1,2,running\n")
    (tmp_path / "foreign_stats_history.csv").write_text("time,elapsed,state\n1,2,running\n")
    outputs = [tmp_path / f"out_{suffix}" for suffix in ("stats.csv", "monitor.json", "alerts.csv")]
    outputs.append(tmp_path / "verdict.xml")
    for path in outputs:
        path.write_text(SENTINEL)
    return tmp_path, outputs


def one_error_line(stderr: str) -> str:
    """The only line that is not one of Locust's own timestamped log lines ("Starting Locust 2.47.0")."""
    lines = [line for line in stderr.splitlines() if line.strip() and not LOG_LINE.match(line)]
    assert len(lines) == 1, stderr[-2000:]
    return lines[0]


@pytest.mark.parametrize(("arguments", "message"), LOCUST_CASES, ids=[" ".join(case[0]) for case in LOCUST_CASES])
def test_bad_locust_input(locust_command, silent_host, inputs, arguments, message):
    host, accepted = silent_host
    folder, outputs = inputs
    filled = [argument.format(dir=folder) for argument in arguments]
    command = locust_command(
        "--headless", "-u", "2", "-t", "5s", "--host", host, "--csv", str(folder / "out"),
        "--monitor-export", str(folder / "out"), "--junit", str(folder / "verdict.xml"), *filled,
    )  # fmt: skip
    result = subprocess.run(command, cwd=folder, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert message in one_error_line(result.stderr)
    assert accepted == []  # no traffic
    assert all(path.read_text() == SENTINEL for path in outputs)  # nothing overwritten


@pytest.mark.parametrize(("arguments", "message"), OTHER_CASES, ids=[" ".join(case[0]) for case in OTHER_CASES])
def test_bad_target_and_reports_input(inputs, arguments, message):
    folder, outputs = inputs
    filled = [argument.format(dir=folder) for argument in arguments]
    result = subprocess.run(
        [sys.executable, "-m", *filled], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert message in one_error_line(result.stderr)
    assert all(path.read_text() == SENTINEL for path in outputs)
    assert not (folder / "foreign_report").exists() and not (folder / "b").exists()

"""Every ctxload option from the environment too (``LOCUST_<NAME>``), listed by ``python -m ctxload options``."""

import os
import subprocess
import sys

import requests

from common.settings import Settings
from ctxload.option_list import as_markdown
from monitors.options import MonitorSettings
from tests.conftest import PROJECT_ROOT
from tests.test_bad_input import one_error_line


def run_locust(locust_command, *args, env=None, cwd=PROJECT_ROOT):
    return subprocess.run(
        locust_command(*args), cwd=cwd, capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})}
    )


def test_an_option_from_the_environment_is_used(locust_command, server):
    result = run_locust(
        locust_command,
        "--headless", "-u", "2", "-r", "2", "-t", "3s", "--tags", "write", "--host", server.url,
        env={"LOCUST_KEY_PREFIX": "envprefix", "LOCUST_MONITOR_INTERVAL": "500ms"},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    keys = requests.get(f"{server.url}/ctx/all").json()["context"]
    assert any(key.startswith("envprefix.writer.") for key in keys)


def test_a_bad_value_from_the_environment_names_the_variable_and_sends_nothing(locust_command, silent_host, tmp_path):
    host, accepted = silent_host
    result = run_locust(
        locust_command, "--headless", "-u", "1", "-t", "3s", "--host", host,
        env={"LOCUST_PAYLOAD_BYTES": "x"}, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 2
    line = one_error_line(result.stderr)
    assert "--payload-bytes" in line and "'x'" in line and "LOCUST_PAYLOAD_BYTES" in line
    assert accepted == []


def test_the_command_line_wins_over_the_environment(locust_command, silent_host, tmp_path):
    host, accepted = silent_host
    result = run_locust(
        locust_command, "--headless", "-u", "1", "-t", "3s", "--host", host, "--payload-bytes", "x",
        env={"LOCUST_PAYLOAD_BYTES": "64"}, cwd=tmp_path,
    )  # fmt: skip
    line = one_error_line(result.stderr)
    assert result.returncode == 2 and "got 'x'" in line and "LOCUST_PAYLOAD_BYTES" not in line


def test_every_option_is_listed_with_its_variable():
    result = subprocess.run(
        [sys.executable, "-m", "ctxload", "options"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    for group in (Settings, MonitorSettings):
        for spec in group.specs():
            assert spec.flag in result.stdout and spec.env_var in result.stdout


def test_the_options_reference_is_generated_from_the_declarations():
    # Regenerate with: python -m ctxload options --markdown > docs/options.md
    assert (PROJECT_ROOT / "docs" / "options.md").read_text() == as_markdown() + "\n"

"""ctxload's options: parsing, defaults, and rejection of bad values before any traffic."""

import subprocess
from types import SimpleNamespace

import pytest

from common.settings import Settings
from tests.conftest import PROJECT_ROOT, make_options
from tests.helpers import embedded_server_pid


def test_defaults_without_parsed_options():
    assert Settings.from_options(None) == Settings()
    assert Settings().formats == ("json", "csv", "txt", "pretty")


def test_values_are_parsed_from_strings_as_the_web_ui_sends_them():
    options = SimpleNamespace(
        payload_bytes="512", hot_share="0.5", pace="0.25", dump_formats="TXT, json", audit_timeout="45s", shape="Step"
    )
    settings = Settings.from_options(options)
    assert settings.payload_bytes == 512 and settings.hot_share == 0.5
    assert settings.pace == 0.25
    assert settings.formats == ("txt", "json") and settings.audit_timeout == 45 and settings.shape == "step"


def test_durations_accept_seconds_and_timespans():
    assert Settings.from_options(SimpleNamespace(pace="0.5")).pace == 0.5
    assert Settings.from_options(SimpleNamespace(ramp_time="1m30s")).ramp_time == 90


@pytest.mark.parametrize(
    "option, value",
    [
        ("payload-bytes", "abc"),
        ("payload-bytes", "5"),
        ("key-space", "0"),
        ("hot-share", "1.5"),
        ("missing-share", "-0.1"),
        ("dump-formats", "xml"),
        ("dump-formats", ","),
        ("dump-keep", "0"),
        ("shape", "zigzag"),
        ("pace", "-1"),
        ("pace", "soon"),
        ("audit-timeout", "forever"),
        ("audit-sample", "-5"),
        ("key-prefix", "has space"),
        ("large-max-bytes", "1e9"),
        ("audit-timeout", "2m"),
        ("ws-timeout", "0"),
        ("push-deadline", "0"),
        ("key-prefix", "a+b"),
        ("payload-bytes", "2000000"),
    ],
)
def test_bad_value_is_one_line_exit_2_and_no_traffic(locust_command, option, value):
    result = subprocess.run(
        locust_command("--headless", "-u", "1", "-t", "2s", f"--{option}", value),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2, result.stderr[-2000:]
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and option in lines[0] and value in lines[0], result.stderr[-2000:]
    assert embedded_server_pid(result.stderr) is None


def test_conflicting_values_are_rejected_before_anything_starts(locust_command):
    result = subprocess.run(
        locust_command("--headless", "-u", "1", "-t", "2s", "--large-min-bytes", "5000", "--large-max-bytes", "100"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    # Caught while Locust parses its options (before it opens any --csv file): one line, nothing logged before.
    (line,) = result.stderr.strip().splitlines()
    assert line.endswith("error: --large-min-bytes 5000 must not exceed --large-max-bytes 100")
    assert embedded_server_pid(result.stderr) is None


def test_bad_value_in_a_config_file_is_rejected(locust_command, tmp_path):
    config = tmp_path / "bad.conf"
    config.write_text("hot-share = 3\n")
    result = subprocess.run(
        locust_command("--config", str(config), "--headless", "-u", "1", "-t", "2s"),
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2 and "hot-share" in result.stderr and "'3'" in result.stderr


def test_every_option_is_in_the_web_ui():
    from locust.argument_parser import get_parser

    from monitors.options import MonitorSettings

    parser = get_parser()
    Settings.add_arguments(parser)
    MonitorSettings.add_arguments(parser)
    assert set(vars(Settings())) | set(vars(MonitorSettings())) <= set(parser.args_included_in_web_ui)
    environment_variables = {action.env_var for action in parser._actions if getattr(action, "env_var", None)}
    assert {spec.env_var for spec in Settings.specs() + MonitorSettings.specs()} <= environment_variables


def test_a_bad_value_set_in_the_web_ui_stops_the_test(server):
    from locust.env import Environment
    from locust.event import Events

    options = make_options()
    options.hot_share = 7.0  # what the web UI would store after a user typed 7
    environment = Environment(events=Events(), parsed_options=options, host=server.url)
    runner = environment.create_local_runner()
    stopped = []
    runner.stop = lambda: stopped.append(True)  # record instead of stopping a test that never started
    Settings.check_on_test_start(environment)
    runner.greenlet.join(timeout=5)
    assert stopped == [True]

"""The monitor's Locust options, and the validated ``MonitorSettings`` the monitor reads them through.

Declared once, like every ctxload option (``common.options``: flag, type, default, help,
``LOCUST_<NAME>`` environment variable, web UI field, ``docs/options.md`` row). Register from
``monitors.register`` (it does)::

    events.init_command_line_parser.add_listener(MonitorSettings.add_arguments)

A bad value on the command line, in locust.conf or in the environment ends Locust with one line
and exit code 2 before any traffic and before Locust opens its ``--csv`` files; so does a bad
thresholds file, read and checked by the type of ``--thresholds``.
"""

import argparse
import re
from dataclasses import dataclass
from typing import ClassVar

from common.durations import parse_duration
from common.options import Options, duration, option, path_or_none, switch
from monitors.rules import ThresholdsError, load_rules

SNAPSHOT_COUNT = re.compile(r"^\s*\d+\s*$")

interval = duration(0.1, 60)
poll_interval = duration(0, 3600, off_below=0.5)
period = duration(0, 86_400)


def retention(text) -> str:
    """``600`` (snapshots) or a duration (``30m``, ``2h``, ``1h30m``) of history."""
    value = str(text).strip()
    try:
        valid = int(value) > 0 if SNAPSHOT_COUNT.match(value) else parse_duration(value) > 0 and "." not in value
    except ValueError:
        valid = False
    if not valid:
        raise argparse.ArgumentTypeError(f"expected a number of snapshots (600) or a duration (30m, 2h), got {text!r}")
    return value


def pid(text) -> int | None:
    if text in (None, "", 0, "0"):
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        value = 0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a process id, got {text!r}")
    return value


def thresholds_file(text) -> str | None:
    """A thresholds file that loads: checked while Locust parses its options, before it opens any file."""
    path = path_or_none(text)
    if path is not None:
        try:
            load_rules(path)
        except ThresholdsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return path


@dataclass(frozen=True)
class MonitorSettings(Options):
    """Every monitor option, validated. Field names are the options' dests."""

    title: ClassVar[str] = "Monitor and thresholds"

    monitor_interval: float = option(1.0, interval, "time between monitor snapshots, 0.1 s to 60 s")
    server_poll_interval: float = option(
        5.0,
        poll_interval,
        "time between polls of the server's GET /ctx/all (keys, clients), at least; "
        "longer when a poll is slow (a large context); 0 is off",
    )
    monitor_retention: str = option(
        "60m", retention, "monitor history kept: a number of snapshots (600) or a duration (30m, 2h)"
    )
    monitor_summary_every: float = option(
        30.0, period, "time between the monitor's one-line summaries in the log; 0 is off"
    )
    thresholds: str | None = option(
        None, thresholds_file, "TOML file of threshold rules (docs/thresholds.md); the built-in rules apply without it"
    )
    target_pid: int | None = option(
        None, pid, "process id of the target server to sample (found by itself for the embedded server)"
    )
    abort_on_critical: bool = switch(
        "stop the run at the first critical alert of any rule (a rule can also say abort = true)"
    )
    junit: str | None = option(
        None,
        path_or_none,
        "write a JUnit XML verdict here when Locust quits: one testcase per rule, lost writes, lost pushes",
    )
    monitor_export: str | None = option(
        None,
        path_or_none,
        "write PREFIX_monitor.json, PREFIX_monitor.csv and PREFIX_alerts.csv, periodically and at stop",
    )
    monitor_export_every: float = option(
        10.0, period, "time between periodic writes of --monitor-export; 0 writes only at stop"
    )

    @property
    def retention_snapshots(self) -> int | None:
        return int(self.monitor_retention) if SNAPSHOT_COUNT.match(self.monitor_retention) else None

    @property
    def retention_seconds(self) -> float | None:
        return None if SNAPSHOT_COUNT.match(self.monitor_retention) else parse_duration(self.monitor_retention)

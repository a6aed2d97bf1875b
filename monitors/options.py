"""The monitor's Locust options, and the validated ``MonitorSettings`` the monitor reads them through.

Register from ``monitors.register`` (it does)::

    events.init_command_line_parser.add_listener(options.add_arguments)

Like ctxload's traffic options (``users.options``), every option has a validating type: a bad
value on the command line or in locust.conf ends Locust with one line and exit code 2 before
any traffic and before Locust opens its ``--csv`` files; so is the thresholds file, read and checked
by the type of ``--thresholds``.
"""

import argparse
import math
import re
from dataclasses import dataclass, fields

from monitors.rules import ThresholdsError, load_rules

RETENTION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(m|min|h)?\s*$")


def _number(text, low: float, high: float, what: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {what} from {low:g} to {high:g}, got {text!r}") from None
    if not (math.isfinite(value) and low <= value <= high):
        raise argparse.ArgumentTypeError(f"expected {what} from {low:g} to {high:g}, got {text!r}")
    return value


def interval(text) -> float:
    return _number(text, 0.1, 60, "seconds")


def poll_interval(text) -> float:
    value = _number(text, 0, 3600, "seconds")
    if 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"expected 0 (off) or at least 0.5 seconds, got {text!r}")
    return value


def period(text) -> float:
    return _number(text, 0, 86_400, "seconds")


def retention(text) -> str:
    """``600`` (snapshots) or ``30m`` / ``2h`` (minutes or hours of history)."""
    match = RETENTION.match(str(text))
    if not match or float(match.group(1)) <= 0 or (match.group(2) is None and "." in match.group(1)):
        raise argparse.ArgumentTypeError(f"expected a number of snapshots (600) or a duration (30m, 2h), got {text!r}")
    return str(text).strip()


def pid(text) -> int | None:
    if text in (None, "", 0, "0"):
        return None
    try:
        value = int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a process id, got {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a process id, got {text!r}")
    return value


def path_or_none(text) -> str | None:
    value = "" if text is None else str(text).strip()
    return value or None


def thresholds_file(text) -> str | None:
    """A thresholds file that loads: checked while Locust parses its options, before it opens any file."""
    path = path_or_none(text)
    if path is not None:
        try:
            load_rules(path)
        except ThresholdsError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    return path


def flag(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")


@dataclass(frozen=True)
class MonitorSettings:
    """Every monitor option, validated. Field names are the options' ``dest`` names."""

    monitor_interval: float = 1.0
    server_poll_interval: float = 5.0
    monitor_retention: str = "60m"
    monitor_summary_every: float = 30.0
    thresholds: str | None = None
    target_pid: int | None = None
    abort_on_critical: bool = False
    junit: str | None = None
    monitor_export: str | None = None
    monitor_export_every: float = 10.0

    @property
    def retention_snapshots(self) -> int | None:
        match = RETENTION.match(self.monitor_retention)
        return None if match.group(2) else int(match.group(1))

    @property
    def retention_seconds(self) -> float | None:
        match = RETENTION.match(self.monitor_retention)
        unit = match.group(2)
        return None if unit is None else float(match.group(1)) * (3600 if unit == "h" else 60)

    @classmethod
    def from_options(cls, parsed_options) -> "MonitorSettings":
        """Read and re-validate every setting; raise ``ValueError`` naming a bad one."""
        if parsed_options is None:
            return cls()
        values = {}
        for field in fields(cls):
            raw = getattr(parsed_options, field.name, field.default)
            try:
                values[field.name] = _PARSERS[field.name](raw)
            except argparse.ArgumentTypeError as exc:
                raise ValueError(f"--{field.name.replace('_', '-')}: {exc}") from None
        return cls(**values)


_PARSERS = {
    "monitor_interval": interval,
    "server_poll_interval": poll_interval,
    "monitor_retention": retention,
    "monitor_summary_every": period,
    "thresholds": thresholds_file,
    "target_pid": pid,
    "abort_on_critical": flag,
    "junit": path_or_none,
    "monitor_export": path_or_none,
    "monitor_export_every": period,
}

_HELP = {
    "monitor_interval": "seconds between monitor snapshots, 0.1 to 60",
    "server_poll_interval": "seconds between polls of the server's GET /ctx/all (keys, clients), at least; "
    "longer when a poll is slow (a large context); 0 is off",
    "monitor_retention": "monitor history kept: a number of snapshots (600) or a duration (30m, 2h)",
    "monitor_summary_every": "seconds between the monitor's one-line summaries in the log; 0 is off",
    "thresholds": "TOML file of threshold rules (README: Thresholds); the built-in rules apply without it",
    "target_pid": "process id of the target server to sample (found by itself for the embedded server)",
    "abort_on_critical": "stop the run at the first critical alert of any rule (a rule can also say abort = true)",
    "junit": "write a JUnit XML verdict here when Locust quits: one testcase per rule, lost writes, lost pushes",
    "monitor_export": "write PREFIX_monitor.json, PREFIX_monitor.csv and PREFIX_alerts.csv, periodically and at stop",
    "monitor_export_every": "seconds between periodic writes of --monitor-export; 0 writes only at stop",
}


def add_arguments(parser, **_kwargs) -> None:
    """An ``init_command_line_parser`` listener: add the monitor's options to Locust's parser."""
    defaults = MonitorSettings()
    for field in fields(MonitorSettings):
        default = getattr(defaults, field.name)
        option = f"--{field.name.replace('_', '-')}"
        if field.type is bool:
            parser.add_argument(option, action="store_true", default=False, help=_HELP[field.name])
            continue
        shown = "" if default is None else f" (default {default})"
        kwargs = {"type": _PARSERS[field.name], "default": default, "help": f"{_HELP[field.name]}{shown}"}
        # On the parser itself, not a group: only its add_argument marks options for the web UI.
        parser.add_argument(option, **kwargs)

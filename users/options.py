"""ctxload's own Locust options, and the validated ``Settings`` the users read them through.

Register from the locustfile::

    events.init_command_line_parser.add_listener(options.add_arguments)
    events.init.add_listener(options.check_on_init)
    events.test_start.add_listener(options.check_on_test_start)

Every option has a validating type, so a bad value on the command line or in locust.conf ends
Locust at once with one line (``locust: error: argument --payload-bytes: ...``) and exit code 2,
before any traffic. The options also show in the web UI; values changed there are checked again
when the test starts, and a bad one stops the test with a logged error.

Users call ``Settings.from_options(self.environment.parsed_options)``; with no parsed options
(an ``Environment`` built in code), every setting has its default.
"""

import argparse
import logging
import math
import re
import sys
from dataclasses import dataclass, fields

from locust.util.timespan import parse_timespan

logger = logging.getLogger(__name__)

DUMP_FORMATS = ("json", "csv", "txt", "pretty")
SHAPES = ("none", "ramp", "step", "spike", "soak")


def whole_number(low: int, high: int):
    def parse(text) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}")
        return value

    parse.__name__ = "whole number"
    return parse


def fraction(text) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"expected a fraction from 0 to 1, got {text!r}")
    return value


def seconds(text) -> float:
    """A duration: plain seconds (``0.5``) or a Locust timespan (``30s``, ``2m``, ``1h30m``)."""
    raw = str(text).strip()
    try:
        value = float(raw)
    except ValueError:
        try:
            value = float(parse_timespan(raw))
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected seconds or a timespan like 30s or 2m, got {text!r}") from None
    if not (value >= 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"expected a duration of 0 or more, got {text!r}")
    return value


def dump_formats(text) -> str:
    names = [name.strip().lower() for name in str(text).split(",") if name.strip()]
    unknown = [name for name in names if name not in DUMP_FORMATS]
    if not names or unknown:
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(DUMP_FORMATS)}, got {text!r}")
    return ",".join(dict.fromkeys(names))


def shape_name(text) -> str:
    value = str(text).strip().lower()
    if value not in SHAPES:
        raise argparse.ArgumentTypeError(f"expected one of {', '.join(SHAPES)}, got {text!r}")
    return value


def key_prefix(text) -> str:
    value = str(text).strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise argparse.ArgumentTypeError(f"expected letters, digits, '.', '_' or '-', got {text!r}")
    return value


def positive_seconds(text) -> float:
    value = seconds(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration above 0, got {text!r}")
    return value


def bounded_seconds(low: float, high: float):
    def parse(text) -> float:
        value = seconds(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low:g} to {high:g} seconds, got {text!r}")
        return value

    parse.__name__ = "seconds"
    return parse


def audit_seconds(text) -> float:
    # A worker audits inside Locust's message loop, which must hear the master's heartbeat
    # within 60 s, or the worker quits: keep the audit well inside that.
    value = seconds(text)
    if value > 50:
        raise argparse.ArgumentTypeError(f"expected at most 50 seconds, got {text!r}")
    return value


@dataclass(frozen=True)
class Settings:
    """Every ctxload option, validated. Field names are the options' ``dest`` names."""

    key_prefix: str = "ctxload"
    key_space: int = 1000
    hot_share: float = 0.2
    missing_share: float = 0.1
    payload_bytes: int = 256
    large_min_bytes: int = 1024
    large_max_bytes: int = 1_000_000
    dump_formats: str = ",".join(DUMP_FORMATS)
    dump_keep: int = 8
    audit_sample: int = 10_000
    audit_timeout: float = 30.0
    pace: float = 0.0
    shape: str = "none"
    ramp_time: float = 60.0
    step_users: int = 10
    step_time: float = 30.0
    spike_base: int = 10
    spike_at: float = 30.0
    spike_length: float = 30.0
    summary_every: float = 60.0
    push_deadline: float = 5.0
    ws_timeout: float = 10.0
    request_timeout: float = 60.0

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.dump_formats.split(","))

    @classmethod
    def from_options(cls, parsed_options) -> "Settings":
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
        settings = cls(**values)
        if settings.large_min_bytes > settings.large_max_bytes:
            raise ValueError("--large-min-bytes must not exceed --large-max-bytes")
        return settings


_PARSERS = {
    "key_prefix": key_prefix,
    "key_space": whole_number(1, 10_000_000),
    "hot_share": fraction,
    "missing_share": fraction,
    "payload_bytes": whole_number(16, 1_000_000),  # SocketIOWriter sends it too: Socket.IO's limit
    "large_min_bytes": whole_number(16, 100_000_000),
    "large_max_bytes": whole_number(16, 100_000_000),
    "dump_formats": dump_formats,
    "dump_keep": whole_number(1, 1000),
    "audit_sample": whole_number(0, 10_000_000),
    "audit_timeout": audit_seconds,
    "pace": seconds,
    "shape": shape_name,
    "ramp_time": seconds,
    "step_users": whole_number(1, 1_000_000),
    "step_time": seconds,
    "spike_base": whole_number(0, 1_000_000),
    "spike_at": seconds,
    "spike_length": seconds,
    "summary_every": seconds,
    "push_deadline": positive_seconds,
    "ws_timeout": positive_seconds,
    "request_timeout": bounded_seconds(0.1, 600),
}

_HELP = {
    "key_prefix": "first part of every key the suite writes; give concurrent runs on one server different prefixes",
    "key_space": "keys in the shared catalog that readers read, and keys each writer cycles through",
    "hot_share": "share of the catalog that is hot: 80%% of catalog reads go to it (Pareto 80/20)",
    "missing_share": "share of reads that ask for keys that do not exist",
    "payload_bytes": "size of each written JSON value, in bytes",
    "large_min_bytes": "smallest value LargePayloadUser writes, in bytes",
    "large_max_bytes": "largest value LargePayloadUser writes, in bytes",
    "dump_formats": "formats DumpUser asks for, comma-separated (json,csv,txt,pretty)",
    "dump_keep": "dump filenames each process rotates through per format (bounds the files it leaves)",
    "audit_sample": "most keys the write audit reads back at the end (a random sample beyond); 0 turns it off",
    "audit_timeout": "time limit of the write audit at the end, at most 50 s (a worker must answer heartbeats)",
    "pace": "paced (open-model) mode: each user starts an iteration every this many seconds; 0 is off",
    "shape": "load shape: none (use -u/-r), ramp, step, spike or soak",
    "ramp_time": "ramp shape: time to reach -u users",
    "step_users": "step shape: users added at each step",
    "step_time": "step shape: time between steps",
    "spike_base": "spike shape: users before and after the spike (the spike goes to -u)",
    "spike_at": "spike shape: when the spike starts",
    "spike_length": "spike shape: how long the spike lasts",
    "summary_every": "soak shape: interval of the one-line progress summary in the log",
    "push_deadline": "time a subscribed session has to receive a write's context_updated before it counts as lost",
    "ws_timeout": "time a Socket.IO session waits for a connect, a reply or a confirmation",
    "request_timeout": "time an HTTP request waits to connect, and then for each read, before it fails (0.1 to 600)",
}


class LargeBoundsAction(argparse.Action):
    """Stores --large-min-bytes / --large-max-bytes and checks them against each other while Locust parses.

    argparse fills in defaults before it runs any action, so whichever of the two comes last sees both
    final values: the conflict is caught at parse time, before Locust opens any ``--csv`` file (its
    ``init`` comes after that).
    """

    def __call__(self, parser, namespace, values, option_string=None):
        setattr(namespace, self.dest, values)
        low = getattr(namespace, "large_min_bytes", None)
        high = getattr(namespace, "large_max_bytes", None)
        if low is not None and high is not None and low > high:
            parser.error(f"--large-min-bytes {low} must not exceed --large-max-bytes {high}")


def add_arguments(parser, **_kwargs) -> None:
    """An ``init_command_line_parser`` listener: add ctxload's options to Locust's parser."""
    defaults = Settings()
    for field in fields(Settings):
        default = getattr(defaults, field.name)
        kwargs = {"type": _PARSERS[field.name], "default": default, "help": f"{_HELP[field.name]} (default {default})"}
        if field.name == "shape":
            kwargs["choices"] = SHAPES
        if field.name in ("large_min_bytes", "large_max_bytes"):
            kwargs["action"] = LargeBoundsAction
        # On the parser itself, not a group: only its add_argument marks options for the web UI.
        parser.add_argument(f"--{field.name.replace('_', '-')}", **kwargs)


def check_on_init(environment, **_kwargs) -> None:
    """An ``init`` listener for what a single option's type cannot check (options that conflict)."""
    try:
        Settings.from_options(environment.parsed_options)
    except ValueError as exc:
        sys.stderr.write(f"locust: error: {exc}\n")
        sys.exit(2)


def check_on_test_start(environment, **_kwargs) -> None:
    """A ``test_start`` listener: stop a test whose options were made invalid in the web UI."""
    try:
        Settings.from_options(environment.parsed_options)
    except ValueError as exc:
        logger.error("ctxload: %s; stopping the test", exc)
        if environment.runner is not None:
            environment.runner.greenlet.spawn(environment.runner.stop)

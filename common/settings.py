"""The options of the traffic and of its verification, which both read: ``Settings``.

Each option is declared once, below (``common.options``: flag, type, default, help, ``LOCUST_<NAME>``
environment variable, web UI field; ``docs/options.md`` is generated from it). Register from the
locustfile (``traffic.hooks`` does)::

    events.init_command_line_parser.add_listener(Settings.add_arguments)

A part reads them through its run, validated, ``Run.of(environment).settings``; with no parsed
options (an ``Environment`` built in code) every setting has its default.
"""

import argparse
import re
from dataclasses import dataclass
from typing import ClassVar

from common.options import Options, duration, fraction, one_of, option, positive_duration, whole_number

DUMP_FORMATS = ("json", "csv", "txt", "pretty")
SHAPES = ("none", "ramp", "step", "spike", "soak")


def dump_formats(text) -> str:
    names = [name.strip().lower() for name in str(text).split(",") if name.strip()]
    if not names or any(name not in DUMP_FORMATS for name in names):
        raise argparse.ArgumentTypeError(f"expected a comma-separated list of {', '.join(DUMP_FORMATS)}, got {text!r}")
    return ",".join(dict.fromkeys(names))


def key_prefix(text) -> str:
    value = str(text).strip()
    if not re.fullmatch(r"[A-Za-z0-9._-]+", value):
        raise argparse.ArgumentTypeError(f"expected letters, digits, '.', '_' or '-', got {text!r}")
    return value


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


# A worker audits inside Locust's message loop, which must hear the master's heartbeat within
# 60 s, or the worker quits: keep the audit well inside that.
AUDIT_TIMEOUT_MAX = 50


@dataclass(frozen=True)
class Settings(Options):
    """Every option of the traffic and the verification, validated. Field names are the options' dests."""

    title: ClassVar[str] = "Traffic and verification"

    key_prefix: str = option(
        "ctxload",
        key_prefix,
        "first part of every key the suite writes (letters, digits, ., _, -); "
        "give concurrent runs on one server different prefixes",
    )
    key_space: int = option(
        1000,
        whole_number(1, 10_000_000),
        "keys in the shared catalog that readers read, and keys each writer cycles through",
    )
    hot_share: float = option(
        0.2, fraction, "share of the catalog that is hot: 80%% of catalog reads go to it (Pareto 80/20)"
    )
    missing_share: float = option(0.1, fraction, "share of reads that ask for keys that do not exist")
    # SocketIOWriter sends it too: at most Socket.IO's message limit.
    payload_bytes: int = option(
        256,
        whole_number(16, 1_000_000),
        "size of each written JSON value, in bytes, at most 1000000 "
        "(Socket.IO's message limit: SocketIOWriter sends it too)",
    )
    large_min_bytes: int = option(
        1024,
        whole_number(16, 100_000_000),
        "smallest value LargePayloadUser writes, in bytes",
        action=LargeBoundsAction,
    )
    large_max_bytes: int = option(
        1_000_000,
        whole_number(16, 100_000_000),
        "largest value LargePayloadUser writes, in bytes",
        action=LargeBoundsAction,
    )
    dump_formats: str = option(
        ",".join(DUMP_FORMATS), dump_formats, "formats DumpUser asks for, comma-separated (json,csv,txt,pretty)"
    )
    dump_keep: int = option(
        8, whole_number(1, 1000), "dump filenames each process rotates through per format (bounds the files it leaves)"
    )
    audit_sample: int = option(
        10_000,
        whole_number(0, 10_000_000),
        "most keys the write audit reads back at the end (a random sample beyond); 0 turns it off",
    )
    audit_timeout: float = option(
        30.0,
        duration(0, AUDIT_TIMEOUT_MAX),
        f"time limit of the write audit at the end, at most {AUDIT_TIMEOUT_MAX} s (a worker must answer heartbeats)",
    )
    pace: float = option(
        0.0, duration(), "paced (open-model) mode: each user starts an iteration every this long; 0 is off"
    )
    shape: str = option(
        "none", one_of(*SHAPES), "load shape: none (use -u/-r), ramp, step, spike or soak", choices=SHAPES
    )
    ramp_time: float = option(60.0, duration(), "ramp shape: time to reach -u users")
    step_users: int = option(10, whole_number(1, 1_000_000), "step shape: users added at each step")
    step_time: float = option(30.0, duration(), "step shape: time between steps")
    spike_base: int = option(
        10, whole_number(0, 1_000_000), "spike shape: users before and after the spike (the spike goes to -u)"
    )
    spike_at: float = option(30.0, duration(), "spike shape: when the spike starts")
    spike_length: float = option(30.0, duration(), "spike shape: how long the spike lasts")
    summary_every: float = option(60.0, duration(), "soak shape: interval of the one-line progress summary in the log")
    push_deadline: float = option(
        5.0,
        positive_duration,
        "time a subscribed session has to receive a write's context_updated before it counts as lost",
    )
    ws_timeout: float = option(
        10.0, positive_duration, "time a Socket.IO session waits for a connect, a reply or a confirmation"
    )
    request_timeout: float = option(
        60.0,
        duration(0.1, 600),
        "time an HTTP request waits to connect, and then for each read, before it fails (0.1 s to 600 s)",
    )

    @property
    def formats(self) -> tuple[str, ...]:
        return tuple(self.dump_formats.split(","))

    def check(self) -> None:
        if self.large_min_bytes > self.large_max_bytes:
            raise ValueError("--large-min-bytes must not exceed --large-max-bytes")

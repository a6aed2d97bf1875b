"""Command line of the reference server: ``python -m refserver [options]``.

Bad values end the program before it binds anything, with one line naming the value and
exit code 2. ``parse_config(argv)`` returns a ``ServerConfig``; ``main(argv)`` also serves.
"""

import argparse
import shutil
import signal
import sys
from pathlib import Path

from refserver.config import ServerConfig
from refserver.faults import FaultSettings, LatencySpec
from refserver.limits import ConnectionLimits

READY_PREFIX = "ctxload target listening on "


class _OneLineParser(argparse.ArgumentParser):
    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message}\n")


def _float_between(low: float, high: float, expected: str):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {expected}, got {text!r}")
        return value

    return parse


_probability = _float_between(0.0, 1.0, "a probability from 0 to 1")
_seconds = _float_between(0.0, 3600.0, "0..3600 seconds")


def _bounded_int(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected {low}..{high}, got {text!r}")
        return value

    return parse


def _latency(text: str) -> LatencySpec:
    try:
        return LatencySpec.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineParser(
        prog="python -m refserver",
        description="Reference Enhanced Context Server (REST + Socket.IO) for ctxload.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_bounded_int(0, 65535), default=8080, help="port to bind; 0 picks a free one (default 8080)"
    )
    parser.add_argument(
        "--dump-dir", type=Path, default=Path("context_dumps"), help="folder for dump files (default ./context_dumps)"
    )
    parser.add_argument(
        "--remove-dump-dir",
        action="store_true",
        help="remove the dump folder when the server exits (how ctxload runs it on a temporary folder)",
    )
    parser.add_argument(
        "--history-limit",
        type=_bounded_int(0, 100_000_000),
        default=100_000,
        help="history entries kept; the oldest are dropped (default 100000)",
    )
    parser.add_argument(
        "--max-body",
        type=_bounded_int(1, 2**31),
        default=1_048_576,
        help="largest request body in bytes; larger gets 413 (default 1048576, 1 MiB)",
    )
    parser.add_argument(
        "--client-stats-interval",
        type=_seconds,
        default=0.5,
        metavar="SECONDS",
        help="send client_stats at most this often, with the latest count; 0 sends one per change (default 0.5)",
    )
    parser.add_argument(
        "--ping-interval",
        type=_seconds,
        default=25.0,
        metavar="SECONDS",
        help="Engine.IO ping interval (default 25, as production)",
    )
    parser.add_argument(
        "--ping-timeout",
        type=_seconds,
        default=20.0,
        metavar="SECONDS",
        help="Engine.IO ping timeout (default 20, as production)",
    )
    limits = parser.add_argument_group("limits per client (docs/refserver.md, Limits)")
    limits.add_argument(
        "--max-header-bytes",
        type=_bounded_int(1024, 2**24),
        default=65_536,
        metavar="BYTES",
        help="largest request line and headers; larger gets 431 (default 65536)",
    )
    limits.add_argument(
        "--header-timeout",
        type=_float_between(0.1, 3600.0, "0.1..3600 seconds"),
        default=10.0,
        metavar="SECONDS",
        help="a request's line and headers must arrive within this of its first byte, a new connection's of "
        "its opening (default 10)",
    )
    limits.add_argument(
        "--body-timeout",
        type=_float_between(0.1, 3600.0, "0.1..3600 seconds"),
        default=30.0,
        metavar="SECONDS",
        help="close a request whose body sends nothing for this long (default 30)",
    )
    limits.add_argument(
        "--max-connections",
        type=_bounded_int(1, 10_000_000),
        default=10_000,
        metavar="N",
        help="open connections, HTTP and WebSocket; more get 503 (default 10000; lowered to fit ulimit -n)",
    )
    limits.add_argument(
        "--max-send-buffer",
        type=_bounded_int(65_536, 2**31),
        default=32 * 1024 * 1024,
        metavar="BYTES",
        help="disconnect a WebSocket client this far behind in reading (default 33554432, 32 MiB)",
    )
    parser.add_argument("--log-level", default="warning", choices=["critical", "error", "warning", "info", "debug"])
    faults = parser.add_argument_group("fault injection (testing aids, off by default)")
    faults.add_argument(
        "--inject-latency-ms",
        type=_latency,
        default=LatencySpec(),
        metavar="N[:JITTER]",
        help="delay every REST response and Socket.IO reply by N +/- JITTER ms",
    )
    faults.add_argument(
        "--error-rate", type=_probability, default=0.0, metavar="P", help="answer a REST request 500 with probability P"
    )
    faults.add_argument(
        "--drop-write-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="acknowledge a write but do not store it, with probability P",
    )
    faults.add_argument(
        "--drop-push-rate",
        type=_probability,
        default=0.0,
        metavar="P",
        help="skip a context_updated to a subscriber with probability P",
    )
    faults.add_argument(
        "--fault-seed", type=int, default=None, metavar="N", help="seed the fault dice, for repeatable runs"
    )
    return parser


def parse_config(argv: list[str] | None = None) -> ServerConfig:
    args = build_parser().parse_args(argv)
    return ServerConfig(
        host=args.host,
        port=args.port,
        dump_dir=args.dump_dir,
        history_limit=args.history_limit,
        max_body=args.max_body,
        client_stats_interval=args.client_stats_interval,
        ping_interval=args.ping_interval,
        ping_timeout=args.ping_timeout,
        log_level=args.log_level,
        limits=ConnectionLimits(
            max_header_bytes=args.max_header_bytes,
            header_timeout=args.header_timeout,
            body_timeout=args.body_timeout,
            max_connections=args.max_connections,
            max_send_buffer=args.max_send_buffer,
        ),
        faults=FaultSettings(
            latency=args.inject_latency_ms,
            error_rate=args.error_rate,
            drop_write_rate=args.drop_write_rate,
            drop_push_rate=args.drop_push_rate,
            seed=args.fault_seed,
        ),
    )


def _exit_on_signal(number, _frame):
    raise SystemExit(128 + number)


def main(argv: list[str] | None = None) -> int:
    config = parse_config(argv)
    remove_dump_dir = build_parser().parse_args(argv).remove_dump_dir
    from refserver.server import serve  # imported late: --help and bad options stay fast

    # uvicorn shuts down on SIGTERM, then raises the signal again with the handler found before it: make that
    # an exit that unwinds (the folder below is removed), not the default's instant death.
    signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        serve(config, ready=lambda url: print(f"{READY_PREFIX}{url}", flush=True))
    except OSError as exc:
        where = f"{config.host}:{config.port}"
        print(f"python -m refserver: error: cannot listen on {where}: {exc.strerror}", file=sys.stderr)
        return 2
    finally:
        # The server removes its own temporary folder: its launcher may have been SIGKILLed (this process
        # then gets SIGTERM from Linux, see refserver.launcher) and can clean nothing.
        if remove_dump_dir:
            shutil.rmtree(config.dump_dir, ignore_errors=True)
    return 0

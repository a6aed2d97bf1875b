"""``python -m benchmarks <name> [options]``: run one benchmark (see ``--help``)."""

import signal
import sys

from benchmarks import (
    http_overhead,
    level_shift_rates,
    memory_growth,
    monitor_overhead,
    regression_rates,
    reports_cost,
    server_limits,
    target_throughput,
    truth,
    ws_sessions,
)
from benchmarks.arguments import OneLineParser

BENCHMARKS = {
    "http-overhead": http_overhead,
    "level-shifts": level_shift_rates,
    "memory-growth": memory_growth,
    "monitor-overhead": monitor_overhead,
    "regression-rates": regression_rates,
    "reports": reports_cost,
    "server-limits": server_limits,
    "target": target_throughput,
    "truth": truth,
    "ws-sessions": ws_sessions,
}


def _unwind(number, _frame):
    raise SystemExit(128 + number)


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark to run")
    argv = sys.argv[1:] if argv is None else argv
    # Only the first argument is ours: "python -m benchmarks target --help" is the benchmark's help.
    args, rest = parser.parse_args(argv[:1]), argv[1:]
    signal.signal(signal.SIGTERM, _unwind)  # stopped by SIGTERM: unwind too, so that children and temp files go
    try:
        return BENCHMARKS[args.name].main(rest)
    except KeyboardInterrupt:  # its child processes are stopped by now (benchmarks.child_processes)
        print(f"python -m benchmarks {args.name}: interrupted", file=sys.stderr)
        return 130


sys.exit(main())

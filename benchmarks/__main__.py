"""``python -m benchmarks <name> [options]``: run one benchmark (see ``--help``)."""

import argparse
import sys

from benchmarks import target_throughput, ws_sessions

BENCHMARKS = {
    "target": target_throughput,
    "ws-sessions": ws_sessions,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("name", choices=sorted(BENCHMARKS), help="which benchmark to run")
    args, rest = parser.parse_known_args(argv)
    return BENCHMARKS[args.name].main(rest)


sys.exit(main())

"""``python -m benchmarks http-overhead``: generator CPU-seconds per 1,000 requests, ctxload vs bare Locust.

What it answers: how much more CPU the load generator spends per request with the suite's HTTP
users, everything on, than a bare FastHttpUser making the same requests (goal: at most 1.15x).

* ``ctxload`` (A): the project's ``locustfile.py`` with ``--host``, so all its hooks run: the
  monitor at its default 1 s interval (with ``--target-pid`` of the server, as with the embedded
  one) and its server poll, the threshold alerter, response checks, the write ledger,
  read-after-write checks, the target watch, and the write audit after the stop. The users are
  ``ContextWriter``, ``ContextReader`` and ``MixedUser`` (``--shapes`` picks a subset).
* ``bare`` (B): ``benchmarks/locustfiles/bare_http.py``, FastHttpUsers that make the same
  requests (same shapes and weights, tasks, paths, keys, body sizes) and nothing else.

Fairness: both run the same number of users with the suite's ``between(0.5, 1.5)`` wait, so both
make about ``--users`` requests a second: equal request rates, and neither saturates its core
(the per-round CPU column shows it; raise ``--users`` towards saturation at your own risk, as
a saturated generator measures its own queueing). Locust and the reference server are pinned to
different CPUs (``taskset``, when there are 2+), and A and B alternate on the same server, round
after round. CPU seconds and request counts are read together inside the generator by a probe
(``benchmarks/locustfiles/bench_probe.py``) over a steady window: ``--settle`` seconds after all
users are spawned, ``--seconds`` long, before the stop (so neither the ramp-up nor the audit counts).

The server's state is kept small and the same for both: ``--key-space`` (default 10) bounds the
keys each user writes and the catalog, and those keys are written once before the first round,
so ``GET /ctx/all``, whose body is the whole context, has the same size in every round. The ratio
depends on that size: ``ContextReader`` checks each ``GET /ctx/all`` by parsing the whole body,
which the bare user does not (``--shapes ContextWriter,MixedUser`` leaves that endpoint out). The
state is printed at the end and is in the JSON line (``server_keys``, ``ctx_all_kb``).

    python -m benchmarks http-overhead                         # 5 rounds of 15 s each side
    python -m benchmarks http-overhead --seconds 5 --rounds 2  # a smoke run

Prints a row per run, the A/B ratio per round and its median, then one JSON line.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import measure
from benchmarks.child_processes import can_pin, pin_process
from refserver.launcher import ReferenceServer

GOAL = 1.15
BARE_LOCUSTFILE = measure.LOCUSTFILES / "bare_http.py"
BARE_TWINS = {"ContextWriter": "BareWriter", "ContextReader": "BareReader", "MixedUser": "BareMixed"}


def shapes_option(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in measure.SHAPES]
    if not names or unknown:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(measure.SHAPES)}, got {text!r}"
        )
    return list(dict.fromkeys(names))


def parse_args(argv: list[str] | None):
    parser = measure.load_parser(
        "python -m benchmarks http-overhead", __doc__, seconds=15, rounds=5, users=500, spawn_rate=100
    )
    parser.add_argument(
        "--shapes",
        type=shapes_option,
        default=list(measure.SHAPES),
        help=f"ctxload users to run (default {','.join(measure.SHAPES)})",
    )
    return parser.parse_args(argv)


def run_side(side: str, args, url: str, target_pid: int, workdir: Path, round_number: int) -> measure.Window:
    if side == "ctxload":
        files, classes, options = [measure.CTXLOAD_LOCUSTFILE], args.shapes, ["--target-pid", str(target_pid)]
    else:
        files, classes, options = [BARE_LOCUSTFILE], [BARE_TWINS[name] for name in args.shapes], []
    return measure.steady_run(files, classes, options, args, url, target_pid, workdir, f"{side}-{round_number}")


def row(side: str, round_number: int, window: measure.Window) -> dict:
    target = window.target_percent
    return {
        "side": side,
        "round": round_number,
        "seconds": round(window.seconds, 2),
        "requests": window.requests,
        "failures": window.failures,
        "cpu_s": round(window.cpu, 3),
        "cpu_s_per_1k": round(window.cpu_per_1k, 4),
        "rps": round(window.rps, 1),
        "generator_cpu_percent": round(window.cpu_percent, 1),
        "target_cpu_percent": None if target is None else round(target, 1),
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[dict] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ctxload-bench-") as workdir,
            ReferenceServer() as server,
        ):
            pin_process(server.pid, measure.TARGET_CPU)
            prefilled = measure.prefill(server.url, args.shapes, args.users, args.key_space)
            state_before = measure.server_state(server.url)
            print(
                f"reference server {server.url} (pid {server.pid}); prefilled {prefilled} keys; "
                f"GET /ctx/all {state_before['ctx_all_kb']} KB; generator pinned: {can_pin()}",
                file=sys.stderr,
            )
            for round_number in range(1, args.rounds + 1):
                for side in ("ctxload", "bare"):
                    window = run_side(side, args, server.url, server.pid, Path(workdir), round_number)
                    rows.append(row(side, round_number, window))
                    r = rows[-1]
                    print(
                        f"  {side} round {round_number}: {r['requests']} requests, {r['cpu_s_per_1k']:.3f} CPU s/1k, "
                        f"{r['generator_cpu_percent']:.0f}% CPU",
                        file=sys.stderr,
                    )
            state_after = measure.server_state(server.url)
    except measure.BenchmarkError as exc:
        print(f"http-overhead: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("http-overhead: interrupted", file=sys.stderr)
        return 130

    def target(value):
        return "n/a" if value is None else f"{value:.0f}%"

    measure.print_table(
        ["side", "round", "requests", "CPU s", "CPU s/1k req", "req/s", "generator CPU", "target CPU", "failures"],
        [
            [
                r["side"],
                r["round"],
                r["requests"],
                f"{r['cpu_s']:.2f}",
                f"{r['cpu_s_per_1k']:.3f}",
                f"{r['rps']:.0f}",
                f"{r['generator_cpu_percent']:.0f}%",
                target(r["target_cpu_percent"]),
                r["failures"],
            ]
            for r in rows
        ],
    )
    by_side = {side: [r for r in rows if r["side"] == side] for side in ("ctxload", "bare")}
    ratios = [a["cpu_s_per_1k"] / b["cpu_s_per_1k"] for a, b in zip(by_side["ctxload"], by_side["bare"], strict=True)]
    median_ratio = statistics.median(ratios)
    met = median_ratio <= GOAL
    print()
    measure.print_table(
        ["round", "ctxload CPU s/1k", "bare CPU s/1k", "ctxload/bare"],
        [
            [n, f"{a['cpu_s_per_1k']:.3f}", f"{b['cpu_s_per_1k']:.3f}", f"{ratio:.2f}x"]
            for n, (a, b, ratio) in enumerate(zip(by_side["ctxload"], by_side["bare"], ratios, strict=True), 1)
        ],
    )
    print(f"\nmedian ctxload/bare: {median_ratio:.2f}x (goal <= {GOAL}: {measure.goal_text(met)})")
    print(f"server state: {state_after['keys']} keys, GET /ctx/all {state_after['ctx_all_kb']} KB")
    measure.print_json(
        {
            "benchmark": "http-overhead",
            "date": measure.today(),
            "cpus": os.cpu_count(),
            "pinned": can_pin(),
            "seconds": args.seconds,
            "rounds": args.rounds,
            "users": args.users,
            "spawn_rate": args.spawn_rate,
            "settle": args.settle,
            "key_space": args.key_space,
            "shapes": args.shapes,
            "server_keys": state_after["keys"],
            "ctx_all_kb": state_after["ctx_all_kb"],
            "runs": rows,
            "ratios": [round(ratio, 3) for ratio in ratios],
            "median_ratio": round(median_ratio, 3),
            "ctxload_cpu_s_per_1k_median": round(statistics.median(r["cpu_s_per_1k"] for r in by_side["ctxload"]), 4),
            "bare_cpu_s_per_1k_median": round(statistics.median(r["cpu_s_per_1k"] for r in by_side["bare"]), 4),
            "goal": GOAL,
            "goal_met": met,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

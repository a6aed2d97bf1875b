"""``python -m benchmarks monitor-overhead``: the monitor's CPU use at 1-second sampling (goal: at most 1% of a core).

A light, steady ctxload load (``ContextWriter``, ``ContextReader`` and ``MixedUser``, ``--users``
of them, about as many requests a second) runs against the reference server, the generator and
the server pinned to different CPUs (``taskset``, when there are 2+). Two views:

* direct: with the project's ``locustfile.py``, the probe (``benchmarks/locustfiles/bench_probe.py``)
  charges the CPU time of the monitor's greenlets, switch by switch, to them: the sampling loop
  (one tick a ``--interval``: psutil samples of the generator, the target (``--target-pid``, as
  with the embedded server) and the system, Locust's figures, the snapshot, the threshold rules,
  the log summary, and with ``--export`` the periodic export) and the server poll (``GET /ctx/all``
  every ``--server-poll-interval``, whose cost grows with the server's data). Reported as
  milliseconds per tick and per poll, and as a percentage of one core over the steady window;
* cross-check: the same load with ``benchmarks/locustfiles/ctxload_no_monitor.py`` (the suite
  without ``monitors.register``), alternating with the first, round after round. The difference
  of the whole process's CPU is the monitor's, within the noise of the load's own CPU (the median
  of the rounds' differences is shown; it can come out negative).

Both sides carry the probe's greenlet trace, so the trace's own small cost cancels in the
cross-check. The window is ``--settle`` seconds after all users are spawned, ``--seconds`` long,
before the stop (the write audit after it does not count). The server's state is kept small and
the same in every round, as in ``http-overhead``: ``--key-space`` (default 10), keys written first.

    python -m benchmarks monitor-overhead                          # 3 rounds of 30 s each side
    python -m benchmarks monitor-overhead --seconds 5 --rounds 1   # a smoke run

Prints a row per run, the figures against the goal, then one JSON line.
"""

import argparse
import os
import statistics
import sys
import tempfile
from pathlib import Path

from benchmarks import measure
from benchmarks.arguments import positive
from benchmarks.child_processes import can_pin, pin_process
from refserver.launcher import ReferenceServer

GOAL_PERCENT = 1.0
NO_MONITOR_LOCUSTFILE = measure.LOCUSTFILES / "ctxload_no_monitor.py"
SIDES = ("monitor", "no monitor")


def poll_interval(text: str) -> float:
    value = positive(float, 0, 3600, inclusive=True)(text)
    if 0 < value < 0.5:
        raise argparse.ArgumentTypeError(f"expected 0 (off) or at least 0.5 seconds, got {text!r}")
    return value


def parse_args(argv: list[str] | None):
    parser = measure.load_parser(
        "python -m benchmarks monitor-overhead", __doc__, seconds=30, rounds=3, users=50, spawn_rate=50
    )
    parser.add_argument(
        "--interval", type=positive(float, 0.1, 60, True), default=1.0, help="--monitor-interval, 0.1 to 60 (default 1)"
    )
    parser.add_argument(
        "--server-poll-interval",
        type=poll_interval,
        default=5.0,
        help="the monitor's --server-poll-interval (default 5, the monitor's own; 0 is off)",
    )
    parser.add_argument("--export", action="store_true", help="also write --monitor-export (every 10 s, its default)")
    return parser.parse_args(argv)


def run_side(side: str, args, url: str, target_pid: int, workdir: Path, round_number: int) -> measure.Window:
    if side == "monitor":
        files = [measure.CTXLOAD_LOCUSTFILE]
        options = ["--target-pid", str(target_pid), "--monitor-interval", str(args.interval)]
        options += ["--server-poll-interval", str(args.server_poll_interval)]
        if args.export:
            options += ["--monitor-export", str(workdir / f"export-{round_number}")]
    else:
        files, options = [NO_MONITOR_LOCUSTFILE], []
    name = f"{side.replace(' ', '-')}-{round_number}"
    environment = {"CTXLOAD_BENCH_ACCOUNT_MONITOR": "1"}
    return measure.steady_run(files, list(measure.SHAPES), options, args, url, target_pid, workdir, name, environment)


def row(side: str, round_number: int, window: measure.Window) -> dict:
    result = {
        "side": side,
        "round": round_number,
        "seconds": round(window.seconds, 2),
        "requests": window.requests,
        "rps": round(window.rps, 1),
        "process_cpu_percent": round(window.cpu_percent, 2),
    }
    if side == "monitor":
        loop, poll = window.delta("monitor_loop_cpu"), window.delta("monitor_poll_cpu")
        ticks, polls = window.delta("ticks"), window.delta("polls")
        result.update(
            monitor_cpu_percent=round(100 * (loop + poll) / window.seconds, 3),
            loop_cpu_percent=round(100 * loop / window.seconds, 3),
            poll_cpu_percent=round(100 * poll / window.seconds, 3),
            ticks=ticks,
            ms_per_tick=round(1000 * loop / ticks, 2) if ticks else None,
            max_ms_per_tick=round(1000 * max(sample["tick_cpu_max"] for sample in window.inside), 2),
            polls=polls,
            ms_per_poll=round(1000 * poll / polls, 2) if polls else None,
        )
    return result


def _figure(value, digits: int = 2, unit: str = "") -> str:
    return "-" if value is None else f"{value:.{digits}f}{unit}"


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rows: list[dict] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="ctxload-bench-") as workdir,
            ReferenceServer() as server,
        ):
            pin_process(server.pid, measure.TARGET_CPU)
            prefilled = measure.prefill(server.url, list(measure.SHAPES), args.users, args.key_space)
            print(
                f"reference server {server.url} (pid {server.pid}); prefilled {prefilled} keys; "
                f"generator pinned: {can_pin()}",
                file=sys.stderr,
            )
            for round_number in range(1, args.rounds + 1):
                for side in SIDES:
                    window = run_side(side, args, server.url, server.pid, Path(workdir), round_number)
                    rows.append(row(side, round_number, window))
                    print(
                        f"  {side} round {round_number}: process CPU {rows[-1]['process_cpu_percent']:.1f}%"
                        + (f", monitor {rows[-1]['monitor_cpu_percent']:.2f}%" if side == "monitor" else ""),
                        file=sys.stderr,
                    )
            state = measure.server_state(server.url)
    except measure.BenchmarkError as exc:
        print(f"monitor-overhead: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("monitor-overhead: interrupted", file=sys.stderr)
        return 130

    measure.print_table(
        ["side", "round", "req/s", "process CPU", "monitor CPU", "ticks", "ms/tick", "max ms/tick", "polls", "ms/poll"],
        [
            [
                r["side"],
                r["round"],
                f"{r['rps']:.0f}",
                f"{r['process_cpu_percent']:.1f}%",
                _figure(r.get("monitor_cpu_percent"), 2, "%"),
                r.get("ticks", "-"),
                _figure(r.get("ms_per_tick")),
                _figure(r.get("max_ms_per_tick")),
                r.get("polls", "-"),
                _figure(r.get("ms_per_poll")),
            ]
            for r in rows
        ],
    )
    on = [r for r in rows if r["side"] == "monitor"]
    off = [r for r in rows if r["side"] == "no monitor"]
    direct = statistics.median(r["monitor_cpu_percent"] for r in on)
    differences = [a["process_cpu_percent"] - b["process_cpu_percent"] for a, b in zip(on, off, strict=True)]
    cross_check = statistics.median(differences)
    met = direct <= GOAL_PERCENT
    per_tick = [r["ms_per_tick"] for r in on if r["ms_per_tick"] is not None]
    per_poll = [r["ms_per_poll"] for r in on if r["ms_per_poll"] is not None]
    print(
        f"\nmonitor CPU at {args.interval:g} s sampling (median of {len(on)}): {direct:.2f}% of a core "
        f"(goal <= {GOAL_PERCENT:g}%: {measure.goal_text(met)})"
    )
    print(f"  per tick {_figure(statistics.median(per_tick) if per_tick else None)} ms, ", end="")
    print(f"per server poll {_figure(statistics.median(per_poll) if per_poll else None)} ms")
    print(
        f"cross-check, process CPU with minus without the monitor (median of {len(differences)}): "
        f"{cross_check:+.2f}% of a core (rounds: {', '.join(f'{d:+.2f}' for d in differences)})"
    )
    print(f"server state: {state['keys']} keys, GET /ctx/all {state['ctx_all_kb']} KB")
    measure.print_json(
        {
            "benchmark": "monitor-overhead",
            "date": measure.today(),
            "cpus": os.cpu_count(),
            "pinned": can_pin(),
            "seconds": args.seconds,
            "rounds": args.rounds,
            "users": args.users,
            "key_space": args.key_space,
            "monitor_interval": args.interval,
            "server_poll_interval": args.server_poll_interval,
            "export": args.export,
            "server_keys": state["keys"],
            "ctx_all_kb": state["ctx_all_kb"],
            "runs": rows,
            "monitor_cpu_percent_median": round(direct, 3),
            "ms_per_tick_median": round(statistics.median(per_tick), 3) if per_tick else None,
            "ms_per_poll_median": round(statistics.median(per_poll), 3) if per_poll else None,
            "cross_check_percent_median": round(cross_check, 3),
            "cross_check_percent_rounds": [round(d, 3) for d in differences],
            "goal_percent": GOAL_PERCENT,
            "goal_met": met,
        }
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

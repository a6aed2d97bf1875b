"""``python -m benchmarks regression-rates``: how often ``reports compare`` cries wolf, and how often it catches one.

Seeded simulations of 60-s Locust runs (``benchmarks.history_sim``: a closed loop of 20 users on a 40-ms server,
second-to-second wander, Locust's rounding and windows), each pair or history judged by the same code as
``python -m reports compare`` (``reports.compare``, in-process: the CSV parsing is left out). Per scenario: the
share of comparisons with a "regression" verdict on the Aggregated row's mean latency or requests/s (A/A: a false
alarm; a real change: a detection), and the share of "no change" verdicts::

    python -m benchmarks regression-rates                 # every scenario, 300 trials each (~3 minutes)
    python -m benchmarks regression-rates --trials 1000 --seed 7
    python -m benchmarks regression-rates --real 2      # only real 60-s pairs, plain and ctxload (~12 minutes)

Prints a table with the compare method's version, then one JSON line.
"""

import json
import sys
import time

import numpy as np

from benchmarks.arguments import OneLineParser, positive
from benchmarks.history_sim import simulate_run
from benchmarks.regression_pairs import real_rounds
from reports.compare import RunFigures, compare_runs
from reports.series import SteadyState
from reports.verdicts import METHOD

# name -> (what the current run changes, between-run spread, history runs, full history)
SCENARIOS = {
    "A/A, one baseline run": ({}, 0.0, 1, True),
    "A/A, one run, no --csv-full-history": ({}, 0.0, 1, False),
    "+25% latency, one run": ({"latency_factor": 1.25}, 0.0, 1, True),
    "+25% latency, no --csv-full-history": ({"latency_factor": 1.25}, 0.0, 1, False),
    "-25% throughput, one run": ({"throughput_factor": 0.75}, 0.0, 1, True),
    "+10% latency, one run": ({"latency_factor": 1.10}, 0.0, 1, True),
    "+5% latency, one run": ({"latency_factor": 1.05}, 0.0, 1, True),
    "A/A, runs vary 5%, one run": ({}, 0.05, 1, True),
    "A/A, runs vary 5%, history of 5": ({}, 0.05, 5, True),
    "A/A, runs vary 5%, history of 10": ({}, 0.05, 10, True),
    "A/A, runs vary 5%, history of 20": ({}, 0.05, 20, True),
    "A/A, runs vary 10%, one run": ({}, 0.10, 1, True),
    "A/A, runs vary 10%, history of 10": ({}, 0.10, 10, True),
    "+25% latency, runs vary 5%, history of 10": ({"latency_factor": 1.25}, 0.05, 10, True),
    "+25% latency, runs vary 5%, history of 20": ({"latency_factor": 1.25}, 0.05, 20, True),
}


def figures(rng, full_history: bool, between: float, **change) -> RunFigures:
    run = simulate_run(rng, between_runs=between, full_history=full_history, **change)
    return RunFigures.of(run, SteadyState.of(run))


def trial(rng, change: dict, between: float, history: int, full_history: bool) -> dict:
    baseline = [figures(rng, full_history, between) for _ in range(history)]
    current = figures(rng, full_history, between, **change)
    table = compare_runs(baseline, current).table.set_index("metric")
    return {metric: table.loc[metric, "verdict"] for metric in ("mean", "rps")}


def run_scenario(name: str, trials: int, seed: int) -> dict:
    change, between, history, full_history = SCENARIOS[name]
    rng = np.random.default_rng([seed, list(SCENARIOS).index(name)])
    outcomes = [trial(rng, change, between, history, full_history) for _ in range(trials)]
    share = lambda metric, verdict: sum(o[metric] == verdict for o in outcomes) / trials  # noqa: E731
    return {
        "scenario": name,
        "trials": trials,
        "mean_regression": share("mean", "regression"),
        "mean_no_change": share("mean", "no change"),
        "rps_regression": share("rps", "regression"),
        "rps_no_change": share("rps", "no change"),
        "any_regression": sum("regression" in o.values() for o in outcomes) / trials,
    }


def main(argv: list[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m benchmarks regression-rates", description=__doc__)
    parser.add_argument("--trials", type=positive(int, minimum=10, inclusive=True), default=300)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", choices=sorted(SCENARIOS), action="append", help="run only these scenarios")
    parser.add_argument(
        "--real",
        type=positive(int, minimum=0, inclusive=True),
        default=0,
        help="also N rounds of real 60-s pairs, plain and ctxload's default run (3 min per round)",
    )
    parser.add_argument("--real-kinds", default="plain,ctxload", help="which real pairs: plain, ctxload")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    results = [run_scenario(name, args.trials, args.seed) for name in (args.only or ([] if args.real else SCENARIOS))]
    print(f"reports compare, method {METHOD}; 60-s runs, 20 users, 40 ms; {args.trials} trials each, seed {args.seed}")
    print(f"{'scenario':46} {'mean: regression':>17} {'no change':>10} {'rps: regression':>16} {'no change':>10}")
    for row in results:
        print(
            f"{row['scenario']:46} {row['mean_regression']:17.1%} {row['mean_no_change']:10.1%} "
            f"{row['rps_regression']:16.1%} {row['rps_no_change']:10.1%}"
        )
    real = (
        real_rounds(args.real, tuple(k.strip() for k in args.real_kinds.split(",") if k.strip())) if args.real else []
    )
    if real:
        print("Real 60-s pairs (baseline A, then A again and B = A + 10 ms, on one port, one after the other):")
        for row in real:
            print(f"  round {row['round']} {row['kind']:8} {row['pair']}: exit {row['exit']}; "
                  f"Aggregated mean {row.get('mean')}; rps {row.get('rps')}")  # fmt: skip
    seconds = round(time.perf_counter() - started)
    print(json.dumps({"benchmark": "regression-rates", "method": METHOD, "seconds": seconds, "results": results,
                      "real": real}))  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())

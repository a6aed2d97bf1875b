"""The ``compare`` command: the current run (or a baseline's latest) against a baseline's history of runs.

    code = run_compare(args, progress)     # 0, or EXIT_REGRESSION when a verdict is "regression"

Writes ``compare.md``, ``compare.html``, ``compare.png`` (and ``--junit FILE``), prints one ``REGRESSION`` line
per regression, the basis and every reason the runs are not comparable, and a count of the verdicts.
"""

import sys
from pathlib import Path

from reports.baseline_figures import figures_of, figures_of_history
from reports.baselines import BaselineStore
from reports.compare import NOT_COMPARABLE, RunFigures, compare_runs, effect_text, write_junit
from reports.input_checks import ReportInputError
from reports.load import REPORT_HISTORY_COLUMNS, load_run
from reports.plots import comparison
from reports.render import Page
from reports.series import SteadyState

EXIT_REGRESSION = 4


def read(prefix: str, progress, allow_cut: bool = False, history_required: bool = True):
    return load_run(prefix, progress, REPORT_HISTORY_COLUMNS, allow_cut, history_required)


def say_warnings(lines) -> None:
    for line in lines:
        print(f"warning: {line}", file=sys.stderr)


def _current(args, store, progress, current, current_steady):
    """The current run, its steady state, its figures and its name."""
    if current is not None:
        return current, current_steady, RunFigures.of(current, current_steady, args.prefix), args.prefix
    if bool(args.prefix) == bool(args.against_baseline):
        raise ReportInputError("compare needs either PREFIX or --against-baseline NAME (one of them)")
    if args.against_baseline:
        other = store.history(args.against_baseline)
        say_warnings(other.warnings)
        latest = other.runs[-1]
        run = read(latest.prefix, progress, args.allow_cut)
        steady = SteadyState.of(run)
        return run, steady, figures_of(latest), f"{args.against_baseline} ({latest.label})"
    run = read(args.prefix, progress, args.allow_cut)
    say_warnings(run.warnings)
    steady = SteadyState.of(run)
    return run, steady, RunFigures.of(run, steady, args.prefix), args.prefix


def run_compare(args, progress, current=None, current_steady=None) -> int:
    store = BaselineStore(args.baselines)
    history = store.history(args.baseline)
    current, current_steady, current_figures, current_name = _current(args, store, progress, current, current_steady)
    progress("comparing")
    baseline_figures, baseline_runs = figures_of_history(history, progress)
    say_warnings(history.warnings)
    latest = read(baseline_runs[-1].prefix, progress, args.allow_cut)
    baseline_steady = SteadyState.of(latest)
    result = compare_runs(baseline_figures, current_figures, args.min_effect, args.min_failure_points, args.confidence)
    against = getattr(args, "against_baseline", None)  # `report --baseline` has no such option
    default_out = f"compare_{against}_vs_{args.baseline}" if against else None
    out = Path(args.out or default_out or f"{current.prefix}_report")  # never inside the baseline store
    page = Page(f"{current_name} against baseline {args.baseline}")
    for warning in history.warnings:
        page.text(warning, warning=True)
    for reason in result.not_comparable:
        page.text(f"Not comparable: {reason}. No verdict is given.", warning=True)
        print(f"NOT COMPARABLE: {reason}")
    page.bullets(result.lines)
    page.text(
        f"Steady state only: warm-up cut {baseline_steady.warmup.cut_seconds:.0f} s (latest baseline run), "
        f"{current_steady.warmup.cut_seconds:.0f} s (current). Minimum practical effect {args.min_effect:.0%} "
        f"(failure rate {args.min_failure_points:g} points); {args.confidence:.0%} confidence, corrected for the "
        "number of endpoint x metric tests. Mean latency, requests/s and failures are exact per interval, from "
        "Locust's cumulative totals; p50/p95/p99 are Locust's windowed percentiles (--csv-full-history only)."
    )
    if not (latest.full_history and current.full_history):
        page.text(
            "Per-endpoint and percentile verdicts need --csv-full-history in both runs: without it only the "
            "aggregated mean latency, request and failure rates are compared.",
            warning=True,
        )
    for label, names in (("baseline", result.only_in_baseline), ("current run", result.only_in_current)):
        if names:
            page.text(f"Only in the {label}: {', '.join(names)}.")
    shown = result.table.assign(effect=[effect_text(row) for _, row in result.table.iterrows()])
    columns = ["endpoint", "metric", "baseline", "current", "effect", "p_adjusted", "verdict", "note"]
    page.table("Verdicts", shown[columns])
    png = comparison(result.table, baseline_steady, current_steady, out / "compare.png")
    page.plot("Effects, and the aggregated mean latency of both runs", png)
    paths = [*page.write(out / "compare"), png]
    if args.junit:
        write_junit(args.junit, result, (args.baseline, str(current_name)))
        paths.append(Path(args.junit))
    progress.done()
    for line in result.lines:
        print(line)
    regressions = result.regressions
    for _, row in regressions.iterrows():
        print(f"REGRESSION {row['endpoint']} {row['metric']}: {effect_text(row)} ({row['basis']})")
    aggregated = result.table[(result.table["endpoint"] == "Aggregated") & (result.table["verdict"] != NOT_COMPARABLE)]
    for _, row in aggregated[aggregated["verdict"] == "inconclusive"].iterrows():
        print(f"inconclusive Aggregated {row['metric']}: {row['note']}")
    counts = result.table["verdict"].value_counts().to_dict()
    print("compare: " + ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items())))
    for path in paths:
        print(f"wrote {path}")
    return EXIT_REGRESSION if len(regressions) else 0

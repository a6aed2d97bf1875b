"""``python -m reports``: summaries, trends, baselines and regression verdicts from Locust's CSV files.

    python -m reports summary PREFIX                       # PREFIX as given to locust --csv
    python -m reports trend PREFIX --confidence 0.95
    python -m reports report PREFIX [--baseline NAME]      # summary + trend (+ compare), one load
    python -m reports baseline save NAME PREFIX [--host URL] [--replace]
    python -m reports baseline list | show NAME | delete NAME
    python -m reports compare PREFIX --baseline NAME [--junit FILE]
    python -m reports compare --baseline OLD --against-baseline NEW

Exit codes: 0 done (no regression); 2 bad input (one line on stderr, nothing written);
4 ``compare`` found a regression.
"""

import argparse
import json
import sys
from pathlib import Path

from reports.baselines import BaselineStore, run_metadata
from reports.compare import comparability_warnings, compare_runs, effect_text, write_junit
from reports.input_checks import ReportInputError
from reports.load import REPORT_HISTORY_COLUMNS, load_run
from reports.plots import comparison, run_plots
from reports.progress import Progress
from reports.render import Page
from reports.series import SteadyState
from reports.summary import write_summary
from reports.trend import write_trend

EXIT_BAD_INPUT, EXIT_REGRESSION = 2, 4


def _fraction(low: float, high: float):
    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, got {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a number from {low} to {high}, got {text!r}")
        return value

    return parse


class OneLineErrors(argparse.ArgumentParser):
    """Bad arguments get one line and exit 2, like every other bad input here (argparse adds a usage block)."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"python -m reports: error: {message}\n")


def parser() -> argparse.ArgumentParser:
    main = OneLineErrors(prog="python -m reports", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

    def with_out(command):
        command.add_argument("--out", help="directory for the report files (default: PREFIX_report)")
        command.add_argument(
            "--allow-cut", action="store_true", help="read a history whose last line a killed run left half-written"
        )

    def with_statistics(command):
        command.add_argument("--confidence", type=_fraction(0.5, 0.999), default=0.95, help="(default 0.95)")

    def with_store(command):
        command.add_argument("--baselines", default="baselines", help="baseline directory (default baselines/)")

    def with_trend(command):
        command.add_argument(
            "--min-change", type=_fraction(0.0, 10.0), default=0.10, help="smallest trend that matters (0.10)"
        )

    for name, text in (("summary", "per-endpoint table, failures, monitor, plots"), ("trend", "trends over time")):
        command = commands.add_parser(name, help=text)
        command.add_argument("prefix")
        with_out(command)
        with_statistics(command)
        with_trend(command)

    def with_compare(command):
        command.add_argument(
            "--min-effect", type=_fraction(0.0, 10.0), default=0.10, help="smallest relative change that matters (0.10)"
        )
        command.add_argument(
            "--min-failure-points",
            type=_fraction(0.0, 100.0),
            default=1.0,
            help="same for failure rates, in points (1)",
        )
        command.add_argument("--junit", help="write a JUnit XML file: one testcase per endpoint and metric")
        with_out(command)
        with_statistics(command)
        with_store(command)

    report = commands.add_parser("report", help="summary and trend (and compare with --baseline) in one go")
    report.add_argument("prefix")
    report.add_argument("--baseline", help="also compare with this baseline")
    with_compare(report)
    with_trend(report)

    baseline = commands.add_parser("baseline", help="save, list, show or delete named baselines")
    actions = baseline.add_subparsers(dest="action", required=True)
    save = actions.add_parser("save", help="keep a run as a named baseline")
    save.add_argument("name")
    save.add_argument("prefix")
    save.add_argument("--host", help="the host the run loaded (default: from its monitor export)")
    save.add_argument("--replace", action="store_true", help="replace a baseline of that name")
    save.add_argument("--allow-cut", action="store_true", help="keep a history whose last line is half-written")
    for action in ("list", "show", "delete"):
        command = actions.add_parser(action)
        if action != "list":
            command.add_argument("name")
        with_store(command)
    with_store(save)

    compare = commands.add_parser("compare", help="regression verdicts against a baseline")
    compare.add_argument("prefix", nargs="?", help="the current run (or give --against-baseline)")
    compare.add_argument("--baseline", required=True, help="the baseline to compare with")
    compare.add_argument("--against-baseline", help="compare this baseline (instead of PREFIX) with --baseline")
    with_compare(compare)
    return main


def _out(args, default: str) -> Path:
    return Path(args.out or default)


def read(prefix: str, progress, allow_cut: bool = False):
    return load_run(prefix, progress, history_columns=REPORT_HISTORY_COLUMNS, allow_cut=allow_cut)


def run_compare(args, progress, current=None, current_name=None, current_steady=None) -> int:
    store = BaselineStore(args.baselines)
    baseline_meta = store.meta(args.baseline)
    baseline = read(store.prefix(args.baseline), progress, args.allow_cut)
    if current is not None:
        current_meta = run_metadata(current, None)
        args.against_baseline = None
    elif bool(args.prefix) == bool(args.against_baseline):
        raise ReportInputError("compare needs either PREFIX or --against-baseline NAME (one of them)")
    elif args.against_baseline:
        current_meta, current_name = store.meta(args.against_baseline), args.against_baseline
        current = read(store.prefix(args.against_baseline), progress, args.allow_cut)
    else:
        current, current_name = read(args.prefix, progress, args.allow_cut), args.prefix
        current_meta = run_metadata(current, None)
    _say_warnings(baseline)
    _say_warnings(current)
    progress("comparing")
    baseline_steady, current_steady = SteadyState.of(baseline), current_steady or SteadyState.of(current)
    result = compare_runs(baseline_steady, current_steady, args.min_effect, args.min_failure_points, args.confidence)
    default_out = f"compare_{args.against_baseline}_vs_{args.baseline}" if args.against_baseline else None
    out = _out(args, default_out or f"{current.prefix}_report")  # never inside the baseline store
    page = Page(f"{current_name} against baseline {args.baseline}")
    for warning in comparability_warnings(baseline_meta, current_meta):
        page.text(f"Runs may not be comparable: {warning}.", warning=True)
        print(f"warning: runs may not be comparable: {warning}", file=sys.stderr)
    page.text(
        f"Steady state only: warm-up cut {baseline_steady.warmup.cut_seconds:.0f} s (baseline), "
        f"{current_steady.warmup.cut_seconds:.0f} s (current). Minimum practical effect {args.min_effect:.0%} "
        f"(failure rate {args.min_failure_points:g} points); {args.confidence:.0%} confidence, "
        "corrected for the number of endpoint x metric tests."
    )
    if not (baseline.full_history and current.full_history):
        page.text(
            "Per-endpoint and percentile verdicts need --csv-full-history in both runs: only the aggregated "
            "request and failure rates are compared.",
            warning=True,
        )
    for label, names in (("baseline", result.only_in_baseline), ("current run", result.only_in_current)):
        if names:
            page.text(f"Only in the {label}: {', '.join(names)}.")
    shown = result.table.assign(effect=[effect_text(row) for _, row in result.table.iterrows()])
    page.table(
        "Verdicts", shown[["endpoint", "metric", "baseline", "current", "effect", "p_adjusted", "verdict", "note"]]
    )
    png = comparison(result.table, baseline_steady, current_steady, out / "compare.png")
    page.plot("Effects and the aggregated p95", png)
    paths = [*page.write(out / "compare"), png]
    if args.junit:
        write_junit(args.junit, result, (args.baseline, str(current_name)))
        paths.append(Path(args.junit))
    progress.done()
    regressions = result.regressions
    for _, row in regressions.iterrows():
        print(f"REGRESSION {row['endpoint']} {row['metric']}: {effect_text(row)}")
    counts = result.table["verdict"].value_counts().to_dict()
    print("compare: " + ", ".join(f"{count} {verdict}" for verdict, count in sorted(counts.items())))
    _print_paths(paths)
    return EXIT_REGRESSION if len(regressions) else 0


def _say_warnings(run) -> None:
    for warning in run.warnings:
        print(f"warning: {warning}", file=sys.stderr)


def _print_paths(paths) -> None:
    for path in paths:
        print(f"wrote {path}")


def execute(args) -> int:
    progress = Progress()
    if args.command == "baseline":
        store = BaselineStore(args.baselines)
        if args.action == "save":
            meta = store.save(
                args.name, args.prefix, args.host, replace=args.replace, progress=progress, allow_cut=args.allow_cut
            )
            progress.done()
            print(f"saved baseline {args.name!r} in {args.baselines}: {json.dumps(meta)}")
        elif args.action == "list":
            for name in store.names():
                meta = store.meta(name)
                print(
                    f"{name}\t{meta['date']}\t{meta['users']} users\t{meta['duration_seconds']:.0f} s\t{meta['host']}"
                )
        elif args.action == "show":
            print(json.dumps(store.meta(args.name), indent=2))
        else:
            store.delete(args.name)
            print(f"deleted baseline {args.name!r}")
        return 0
    if args.command == "compare":
        return run_compare(args, progress)
    if args.command == "report" and args.baseline:
        BaselineStore(args.baselines).meta(args.baseline)  # an unknown baseline: bad input before anything is written
    run = read(args.prefix, progress, args.allow_cut)
    _say_warnings(run)
    progress("warm-up")
    steady = SteadyState.of(run)
    out = _out(args, f"{args.prefix}_report")
    progress("plots")
    pngs = run_plots(run, steady, out)
    paths = []
    if args.command in ("summary", "report"):
        progress("summary")
        paths += write_summary(run, steady, out, pngs)
    if args.command in ("trend", "report"):
        paths += write_trend(run, steady, out, args.confidence, progress, pngs, args.min_change)
    progress.done()
    _print_paths(dict.fromkeys(paths))
    if args.command == "report" and args.baseline:
        return run_compare(args, progress, current=run, current_name=args.prefix, current_steady=steady)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return execute(args)
    except ReportInputError as exc:
        print(f"python -m reports: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

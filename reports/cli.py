"""``python -m reports``: summaries, trends, baselines and regression verdicts from Locust's CSV files.

    python -m reports summary PREFIX                       # PREFIX as given to locust --csv
    python -m reports trend PREFIX --confidence 0.95
    python -m reports report PREFIX [--baseline NAME]      # summary + trend (+ compare), one load
    python -m reports baseline save NAME PREFIX [--host URL] [--replace] [--keep 20]   # adds to NAME's history
    python -m reports baseline list | show NAME | delete NAME
    python -m reports compare PREFIX --baseline NAME [--junit FILE]
    python -m reports compare --baseline OLD --against-baseline NEW
    python -m reports history NAME                         # each key figure across NAME's runs, change points

Exit codes: 0 done (no regression); 2 bad input (one line on stderr, nothing written);
4 ``compare`` found a regression.
"""

import argparse
import json
import sys
from pathlib import Path

from reports.baseline_figures import figures_of_history, figures_of_run
from reports.baselines import KEEP_RUNS, BaselineStore
from reports.compare_command import read, run_compare, say_warnings
from reports.history_view import write_history
from reports.input_checks import ReportInputError
from reports.plots import latency_distribution, run_plots
from reports.progress import Progress
from reports.series import SteadyState
from reports.summary import write_summary
from reports.trend import write_trend

EXIT_BAD_INPUT = 2


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


def _whole(low: int, high: int):
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}")
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
    save.add_argument("--replace", action="store_true", help="make this run the baseline's only run")
    save.add_argument(
        "--keep",
        type=_whole(1, 1000),
        default=KEEP_RUNS,
        help=f"runs kept in the history, newest (default {KEEP_RUNS})",
    )
    save.add_argument("--allow-cut", action="store_true", help="keep a history whose last line is half-written")
    for action in ("list", "show", "delete"):
        command = actions.add_parser(action)
        if action != "list":
            command.add_argument("name")
        with_store(command)
    with_store(save)

    history = commands.add_parser("history", help="each key figure across a baseline's runs, with change points")
    history.add_argument("name")
    history.add_argument("--out", help="directory for the report files (default: history_NAME)")
    with_statistics(history)
    history.add_argument(
        "--min-change", type=_fraction(0.0, 10.0), default=0.10, help="smallest change of level that matters (0.10)"
    )
    with_store(history)

    compare = commands.add_parser("compare", help="regression verdicts against a baseline")
    compare.add_argument("prefix", nargs="?", help="the current run (or give --against-baseline)")
    compare.add_argument("--baseline", required=True, help="the baseline to compare with")
    compare.add_argument("--against-baseline", help="compare this baseline (instead of PREFIX) with --baseline")
    with_compare(compare)
    return main


def _out(args, default: str) -> Path:
    return Path(args.out or default)


def _print_paths(paths) -> None:
    for path in paths:
        print(f"wrote {path}")


def baseline_command(args, progress) -> int:
    store = BaselineStore(args.baselines)
    if args.action == "save":
        meta = store.save(
            args.name, args.prefix, args.host, replace=args.replace, keep=args.keep, progress=progress,
            allow_cut=args.allow_cut, figures=lambda run: figures_of_run(run).as_dict(),
        )  # fmt: skip
        progress.done()
        meta.pop("figures", None)
        runs = len(store.history(args.name).runs)
        where = f"baseline {args.name!r} ({runs} runs) in {args.baselines}"
        print(f"saved run {meta['run_id']} in {where}: {json.dumps(meta)}")
    elif args.action == "list":
        for name in store.names():
            try:
                history = store.history(name)
            except ReportInputError as exc:  # one unreadable baseline does not hide the others
                print(f"warning: {exc}", file=sys.stderr)
                continue
            meta = history.runs[-1].meta
            print(
                f"{name}\t{len(history.runs)} runs\t{meta['date']}\t{meta['users']} users\t"
                f"{meta['duration_seconds']:.0f} s\t{meta['host']}"
            )
    elif args.action == "show":
        history = store.history(args.name)
        runs = [{"id": run.id, **{k: v for k, v in run.meta.items() if k != "figures"}} for run in history.runs]
        print(json.dumps({"name": args.name, "runs": runs, "warnings": history.warnings}, indent=2))
    else:
        store.delete(args.name)
        print(f"deleted baseline {args.name!r}")
    return 0


def execute(args) -> int:
    progress = Progress()
    if args.command == "baseline":
        return baseline_command(args, progress)
    if args.command == "history":
        history = BaselineStore(args.baselines).history(args.name)
        figures, runs = figures_of_history(history, progress)
        say_warnings(history.warnings)
        paths = write_history(history, figures, runs, _out(args, f"history_{args.name}"), args.confidence,
                              args.min_change)  # fmt: skip
        progress.done()
        _print_paths(paths)
        return 0
    if args.command == "compare":
        return run_compare(args, progress)
    if args.command == "report" and args.baseline:
        BaselineStore(args.baselines).history(args.baseline)  # unknown: bad input before anything is written
    run = read(args.prefix, progress, args.allow_cut, history_required=args.command != "summary")
    say_warnings(run.warnings)
    out = _out(args, f"{args.prefix}_report")
    if not run.has_history:  # a summary of PREFIX_stats.csv alone (some teams keep only that file)
        paths = write_summary(
            run, None, out, {"Latency distribution": latency_distribution(run, out / "latency_distribution.png")}
        )
        progress.done()
        _print_paths(paths)
        return 0
    progress("warm-up")
    steady = SteadyState.of(run)
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
        return run_compare(args, progress, current=run, current_steady=steady)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return execute(args)
    except ReportInputError as exc:
        print(f"python -m reports: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT

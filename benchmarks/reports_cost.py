"""``python -m benchmarks reports``: time and peak memory of the reports on soak histories of growing length.

For each size (``--sizes 1,6,24``, hours of a synthetic soak run with ``--endpoints`` endpoints, by
``benchmarks.soak_history``: 24 h x 20 endpoints is ~1.8 M history rows, ~300 MB), a run and a
baseline of the same size are written (the baseline is kept with ``python -m reports baseline
save``; another seed, so its endpoints differ in speed and ``compare`` finds regressions: its exit
code 4 is expected), then each command (``--commands``, default ``summary,trend,compare``) runs as a child
process, one at a time::

    python -m reports summary RUN --out DIR
    python -m reports trend RUN --out DIR
    python -m reports compare RUN --baseline NAME --baselines DIR --out DIR
    python -m reports report RUN --baseline NAME --baselines DIR --out DIR     (with --commands ...,report)

and its wall time and peak RSS are taken (the kernel's accounting of the child, ``wait4``: exact,
and with no polling). The goal is at most 15 s and 1.5 GB (1,500 MB) per command at 24 h; the
table marks it met or not. The floor (a command that reads no file: the interpreter and the imports)
is measured once, and the growth from the smallest size to the largest is given as an exponent of
the cost above it ((time - floor) ~ rows^k; the same for memory). The files go to a temporary
folder, removed at the end (and each size's files once it is measured), unless ``--keep DIR``::

    python -m benchmarks reports                         # 1, 6 and 24 hours
    python -m benchmarks reports --sizes 1               # a smoke run (~76 k rows)
    python -m benchmarks reports --sizes 24 --commands summary,trend,compare,report --keep /tmp/soak
"""

import contextlib
import datetime
import json
import math
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.arguments import OneLineParser, number_list, positive
from benchmarks.child_processes import run
from benchmarks.soak_history import write_soak
from refserver.launcher import PROJECT_ROOT

COMMANDS = ("summary", "trend", "compare", "report")
GOAL_HOURS, GOAL_SECONDS, GOAL_MB = 24, 15.0, 1500.0
EXIT_REGRESSION = 4  # compare and report: a regression found, which is a result here, not a failure
RUN_SEED, BASELINE_SEED = 1, 2


def _hours_text(hours: float) -> str:
    return f"{hours:g}h"


def _command_list(text: str) -> list[str]:
    names = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in names if name not in COMMANDS]
    if unknown or not names:
        raise ValueError(f"--commands: expected some of {', '.join(COMMANDS)}, got {text!r}")
    return list(dict.fromkeys(names))


def _reports(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "reports", *arguments]


def _files_mb(paths) -> float:
    return sum(Path(path).stat().st_size for path in paths) / 1e6


def _remove(prefix: Path) -> None:
    for path in prefix.parent.glob(prefix.name + "_*"):
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def measure_size(hours: float, args, workdir: Path) -> dict:
    """Write a run and a baseline of ``hours``, then time each command on them."""
    label = _hours_text(hours)
    run_prefix, base_prefix = workdir / f"soak_{label}", workdir / f"base_{label}"
    baselines, baseline_name = workdir / "baselines", f"soak-{label}"
    _say(f"[{label}] writing the run and its baseline ({args.endpoints} endpoints)...")
    started = time.monotonic()
    written = write_soak(run_prefix, hours=hours, endpoints=args.endpoints, seed=RUN_SEED)
    generate_seconds = time.monotonic() - started
    write_soak(base_prefix, hours=hours, endpoints=args.endpoints, seed=BASELINE_SEED)
    saved = run(
        _reports(
            "baseline", "save", baseline_name, str(base_prefix), "--host", "http://127.0.0.1:8089",
            "--baselines", str(baselines), "--replace",
        ),
        timeout=args.timeout,
        cwd=str(PROJECT_ROOT),
    )  # fmt: skip
    if saved.returncode != 0:
        raise RuntimeError(f"baseline save failed (exit {saved.returncode}): {saved.stderr.strip()[-1000:]}")
    _remove(base_prefix)  # the store keeps its own copy
    size = {
        "hours": hours,
        "rows": written["history_rows"],
        "mb": round(_files_mb(written["paths"].values()), 1),
        "generate_seconds": round(generate_seconds, 1),
        "baseline_save": {"seconds": round(saved.wall_seconds, 2), "peak_mb": round(saved.peak_rss_bytes / 1e6)},
        "commands": {},
    }
    for command in args.commands:
        out = workdir / f"out_{label}_{command}"
        compare_options = ("--baseline", baseline_name, "--baselines", str(baselines))
        extra = compare_options if command in ("compare", "report") else ()
        _say(f"[{label}] python -m reports {command} ...")
        result = run(
            _reports(command, str(run_prefix), *extra, "--out", str(out)), timeout=args.timeout, cwd=str(PROJECT_ROOT)
        )
        allowed = (0, EXIT_REGRESSION) if command in ("compare", "report") else (0,)
        if result.returncode not in allowed:
            raise RuntimeError(
                f"python -m reports {command} failed on {label} (exit {result.returncode}): "
                f"{result.stderr.strip()[-1000:]}"
            )
        size["commands"][command] = {
            "seconds": round(result.wall_seconds, 2),
            "peak_mb": round(result.peak_rss_bytes / 1e6),
            "cpu_seconds": round(result.cpu_seconds, 2),
            "exit_code": result.returncode,
        }
        if not args.keep:
            shutil.rmtree(out, ignore_errors=True)
    if not args.keep:
        _remove(run_prefix)
        shutil.rmtree(baselines / baseline_name, ignore_errors=True)
    return size


def measure_floor(args, workdir: Path) -> dict:
    """What any reports command costs before it reads a file: the interpreter and the imports."""
    empty = workdir / "no_baselines"
    empty.mkdir(exist_ok=True)
    result = run(_reports("baseline", "list", "--baselines", str(empty)), timeout=args.timeout, cwd=str(PROJECT_ROOT))
    if result.returncode != 0:
        raise RuntimeError(f"reports baseline list failed (exit {result.returncode}): {result.stderr[-1000:]}")
    return {"seconds": round(result.wall_seconds, 2), "peak_mb": round(result.peak_rss_bytes / 1e6)}


def _growth(sizes: list[dict], command: str, field: str, floor: dict) -> float | None:
    """k in (cost - floor) ~ rows^k, from the smallest size to the largest."""
    if len(sizes) < 2:
        return None
    small, large = sizes[0], sizes[-1]
    low = small["commands"][command][field] - floor[field]
    high = large["commands"][command][field] - floor[field]
    if low <= 0 or high <= 0 or large["rows"] == small["rows"]:
        return None
    return round(math.log(high / low) / math.log(large["rows"] / small["rows"]), 2)


def _goal(sizes: list[dict], commands: list[str]) -> tuple[bool | None, list[str]]:
    """Whether every command met the goal at 24 h (None: 24 h not measured), and the misses."""
    day = next((size for size in sizes if size["hours"] == GOAL_HOURS), None)
    if day is None:
        return None, []
    misses = []
    for command in commands:
        figures = day["commands"][command]
        if figures["seconds"] > GOAL_SECONDS:
            misses.append(f"{command} {figures['seconds']:.1f} s")
        if figures["peak_mb"] > GOAL_MB:
            misses.append(f"{command} {figures['peak_mb']} MB")
    return not misses, misses


def print_table(sizes: list[dict], commands: list[str]) -> None:
    header = f"{'size':>6} {'rows':>10} {'MB':>6}" + "".join(f" {command + ' s / peak MB':>24}" for command in commands)
    print(header)
    for size in sizes:
        cells = ""
        for command in commands:
            figures = size["commands"][command]
            mark = "" if size["hours"] != GOAL_HOURS else " ok" if _meets(figures) else " !!"
            cells += f" {figures['seconds']:>13.1f} / {figures['peak_mb']:>5}{mark:>3}"
        print(f"{_hours_text(size['hours']):>6} {size['rows']:>10,} {size['mb']:>6.0f}{cells}")


def _meets(figures: dict) -> bool:
    return figures["seconds"] <= GOAL_SECONDS and figures["peak_mb"] <= GOAL_MB


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m benchmarks reports", description=__doc__)
    parser.add_argument(
        "--sizes", type=number_list(float, minimum=0.01), default="1,6,24", help="hours of soak (default 1,6,24)"
    )
    parser.add_argument("--endpoints", type=positive(int, maximum=200), default=20, help="endpoints (default 20)")
    parser.add_argument(
        "--commands",
        default="summary,trend,compare",
        help=f"which reports commands, of {', '.join(COMMANDS)} (default summary,trend,compare)",
    )
    parser.add_argument("--keep", metavar="DIR", help="write the files into DIR and keep them (default: a temp folder)")
    parser.add_argument(
        "--timeout", type=positive(float), default=900.0, help="a reports command is stopped after (900 s)"
    )
    args = parser.parse_args(argv)
    try:
        args.commands = _command_list(args.commands)
    except ValueError as exc:
        parser.error(str(exc))
    if any(hours > 48 for hours in args.sizes):
        parser.error(f"--sizes: at most 48 hours each, got {','.join(map(str, args.sizes))}")
    if args.keep and Path(args.keep).exists() and not Path(args.keep).is_dir():
        parser.error(f"--keep: {args.keep} exists and is not a folder")
    args.sizes = sorted(set(args.sizes))

    with contextlib.ExitStack() as stack:
        if args.keep:
            workdir = Path(args.keep)
            workdir.mkdir(parents=True, exist_ok=True)
        else:
            workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ctxload-reports-bench-")))
        floor = measure_floor(args, workdir)
        sizes = [measure_size(hours, args, workdir) for hours in args.sizes]

    print(f"python -m reports on synthetic soak histories ({args.endpoints} endpoints); seconds / peak RSS in MB")
    print_table(sizes, args.commands)
    met, misses = _goal(sizes, args.commands)
    goal = f"<= {GOAL_SECONDS:g} s and <= {GOAL_MB:,.0f} MB per command at {GOAL_HOURS} h"
    if met is None:
        print(f"\nGoal ({goal}): not judged, the {GOAL_HOURS} h size was not measured")
    else:
        print(f"\nGoal ({goal}): {'met' if met else 'NOT met: ' + ', '.join(misses)}")
    print(
        f"Floor (interpreter and imports, no file read: reports baseline list): {floor['seconds']:.1f} s, "
        f"{floor['peak_mb']} MB"
    )
    growth = {
        command: {field: _growth(sizes, command, field, floor) for field in ("seconds", "peak_mb")}
        for command in args.commands
    }
    if len(sizes) > 1:
        print(
            f"Growth from {_hours_text(sizes[0]['hours'])} to {_hours_text(sizes[-1]['hours'])} "
            "(cost above the floor ~ rows^k; 1 is linear): "
            + "; ".join(
                f"{command} time k={figures['seconds']}, memory k={figures['peak_mb']}"
                for command, figures in growth.items()
            )
        )
    summary = {
        "benchmark": "reports",
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "endpoints": args.endpoints,
        "commands": args.commands,
        "goal": {"hours": GOAL_HOURS, "seconds": GOAL_SECONDS, "peak_mb": GOAL_MB},
        "goal_met": met,
        "floor": floor,
        "sizes": sizes,
        "growth": growth,
    }
    if args.keep:
        summary["kept_in"] = str(workdir)
    print(json.dumps(summary))
    return 0

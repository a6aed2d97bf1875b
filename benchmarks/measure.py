"""What the benchmarks that run ctxload's HTTP users share: the load, a Locust run with its probe, the output.

A benchmark starts the reference server (pinned to ``TARGET_CPU``), writes the keys the users will
write (``prefill``), then runs Locust as a subprocess pinned to ``GENERATOR_CPU`` with
``benchmarks/locustfiles/bench_probe.py`` loaded beside the locustfile under test::

    parser = load_parser(prog, __doc__, seconds=15, rounds=5, users=500, spawn_rate=100)
    args = parser.parse_args(argv)    # --seconds --rounds --users --spawn-rate --settle --key-space
    prefill(url, list(SHAPES), args.users, args.key_space)
    window = steady_run([CTXLOAD_LOCUSTFILE], list(SHAPES), ["--target-pid", str(pid)], args, url, pid, workdir, "a-1")
    window.cpu_per_1k, window.rps, window.cpu_percent, window.target_percent

The subprocess is a ``benchmarks.child_processes.Child``: stopped when it overruns its time limit,
on an error and on Ctrl-C. Output: ``print_table`` (plain columns) and ``print_json`` (the final
machine-readable line).
"""

import datetime
import http.client
import json
import math
import os
import sys
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

from benchmarks.arguments import OneLineParser, positive
from benchmarks.child_processes import Child, ChildTimeout, pinned

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOCUSTFILES = Path(__file__).resolve().parent / "locustfiles"
PROBE = LOCUSTFILES / "bench_probe.py"
PROBE_EVERY = 0.5  # seconds between the probe's samples
GENERATOR_CPU, TARGET_CPU = 1, 0
CTXLOAD_LOCUSTFILE = PROJECT_ROOT / "locustfile.py"
AUDIT_TIMEOUT = 30  # ctxload's default --audit-timeout: the write audit after the stop may take this long
SHAPES = {"ContextWriter": ("writer", 2), "ContextReader": ("reader", 4), "MixedUser": ("mixed", 4)}  # kind, weight
KEY_PREFIX = "ctxload"  # ctxload's defaults, which the runs keep
PAYLOAD_BYTES = 256


class BenchmarkError(RuntimeError):
    """A run that could not be measured: Locust failed, overran, or left no steady window."""


def load_parser(prog: str, description: str, seconds: int, rounds: int, users: int, spawn_rate: int) -> OneLineParser:
    """A parser with the options of a steady ctxload load: window, rounds, users, ramp, settle, key space."""
    whole = positive(int, minimum=1, maximum=1_000_000, inclusive=True)
    parser = OneLineParser(prog=prog, description=description)
    parser.add_argument(
        "--seconds",
        type=positive(int, 1, 3600, True),
        default=seconds,
        help=f"measured window of each run (default {seconds})",
    )
    parser.add_argument(
        "--rounds",
        type=positive(int, 1, 1000, True),
        default=rounds,
        help=f"rounds of each side, alternating (default {rounds})",
    )
    parser.add_argument(
        "--users", type=whole, default=users, help=f"users on each side, about as many req/s (default {users})"
    )
    parser.add_argument(
        "--spawn-rate",
        type=positive(float, 0, 10_000),
        default=spawn_rate,
        help=f"users started per second (default {spawn_rate})",
    )
    parser.add_argument(
        "--settle",
        type=positive(float, 0, 600, True),
        default=3.0,
        help="seconds after the ramp-up before measuring (default 3)",
    )
    parser.add_argument("--key-space", type=whole, default=10, help="ctxload's --key-space, kept small (default 10)")
    return parser


def today() -> str:
    return datetime.date.today().isoformat()


def run_locust(
    locustfiles: list[Path],
    options: list[str],
    user_classes: list[str],
    workdir: Path,
    timeout: float,
    env: dict[str, str] | None = None,
    name: str = "run",
) -> list[dict]:
    """Run ``locust --headless`` pinned to the generator CPU, to its end; return the probe's samples."""
    probe_path = workdir / f"{name}.probe.jsonl"
    probe_path.unlink(missing_ok=True)
    command = [
        *pinned(GENERATOR_CPU),
        sys.executable,
        "-m",
        "locust",
        "-f",
        ",".join(str(path) for path in [*locustfiles, PROBE]),
        "--headless",
        "--only-summary",
        *options,
        *user_classes,
    ]
    environment = {
        **os.environ,
        "PYTHONPATH": str(PROJECT_ROOT),
        "CTXLOAD_BENCH_PROBE": str(probe_path),
        "CTXLOAD_BENCH_PROBE_EVERY": str(PROBE_EVERY),
        **(env or {}),
    }
    try:
        with Child(command, cwd=str(PROJECT_ROOT), env=environment) as locust:
            result = locust.wait(timeout)
    except ChildTimeout as exc:
        raise BenchmarkError(f"locust ({name}): {exc}") from None
    # 0, 1 (failed requests) and 3 (a critical alert) are runs; 2 is a bad option, a signal is a crash.
    if result.returncode not in (0, 1, 3):
        tail = "\n".join((result.stderr or result.stdout).splitlines()[-15:])
        raise BenchmarkError(f"locust ({name}) exited with code {result.returncode}:\n{tail}")
    if not probe_path.exists():
        raise BenchmarkError(f"locust ({name}) ran without its probe:\n{result.stderr[-2000:]}")
    return [json.loads(line) for line in probe_path.read_text().splitlines() if line.strip()]


def steady_run(
    locustfiles: list[Path],
    user_classes: list[str],
    options: list[str],
    args,
    url: str,
    target_pid: int,
    workdir: Path,
    name: str,
    env: dict[str, str] | None = None,
) -> "Window":
    """One run of ``args.users`` users (``load_parser``'s options) long enough for its steady window; the window."""
    run_time = math.ceil(args.users / args.spawn_rate) + math.ceil(args.settle) + args.seconds + 5
    common = ["-u", str(args.users), "-r", str(args.spawn_rate), "-t", f"{run_time}s", "-H", url]
    common += ["--key-space", str(args.key_space)]
    samples = run_locust(
        locustfiles,
        [*common, *options],
        user_classes,
        workdir,
        timeout=run_time + AUDIT_TIMEOUT + 60,
        env={"CTXLOAD_BENCH_TARGET_PID": str(target_pid), **(env or {})},
        name=name,
    )
    return steady_window(samples, args.settle, args.seconds)


def prefill(url: str, shapes: list[str], users: int, key_space: int) -> int:
    """Write every key the users will write (and the catalog), so the server's state is full from the start."""
    total_weight = sum(SHAPES[name][1] for name in shapes)
    keys = [f"{KEY_PREFIX}.catalog.{index}" for index in range(key_space)]
    for name in shapes:
        kind, weight = SHAPES[name]
        if kind == "reader":
            continue
        slots = math.ceil(users * weight / total_weight) + 1
        keys += [f"{KEY_PREFIX}.{kind}.0.{slot}.{n}" for slot in range(slots) for n in range(key_space)]
    address = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        for seq, key in enumerate(keys):
            value = {"run": "prefill", "seq": seq, "pad": "x" * (PAYLOAD_BYTES - 40)}
            body = json.dumps({"key": key, "value": value, "who": "benchmark"})
            connection.request("POST", "/ctx", body, {"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise BenchmarkError(f"prefill: POST /ctx answered {response.status}")
    finally:
        connection.close()
    return len(keys)


def server_state(url: str) -> dict:
    address = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
    try:
        connection.request("GET", "/ctx/all")
        body = connection.getresponse().read()
    finally:
        connection.close()
    return {"keys": len(json.loads(body)["context"]), "ctx_all_kb": round(len(body) / 1024, 1)}


@dataclass
class Window:
    """The difference between two probe samples of the steady phase; ``inside``: the samples after the first."""

    first: dict
    last: dict
    inside: list[dict]

    def delta(self, field: str) -> float | None:
        a, b = self.first.get(field), self.last.get(field)
        return None if a is None or b is None else b - a

    @property
    def seconds(self) -> float:
        return self.last["t"] - self.first["t"]

    @property
    def cpu(self) -> float:
        return self.delta("cpu")

    @property
    def requests(self) -> int:
        return self.delta("requests")

    @property
    def failures(self) -> int:
        return self.delta("failures")

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_percent(self) -> float:
        return 100 * self.cpu / self.seconds

    @property
    def cpu_per_1k(self) -> float:
        return 1000 * self.cpu / self.requests if self.requests else float("nan")

    @property
    def target_percent(self) -> float | None:
        target = self.delta("target_cpu")
        return None if target is None else 100 * target / self.seconds


def steady_window(samples: list[dict], settle: float, seconds: float) -> Window:
    """From ``settle`` seconds after all users were spawned, ``seconds`` long, while the test runs."""
    running = [sample for sample in samples if sample["state"] == "running"]
    if not running:
        raise BenchmarkError("the probe never saw the test running (all users spawned)")
    start_at = running[0]["t"] + settle
    first = next((sample for sample in running if sample["t"] >= start_at), None)
    inside = [sample for sample in running if first and first["t"] < sample["t"] <= first["t"] + seconds + 0.1]
    if first is None or not inside or inside[-1]["t"] - first["t"] < 0.9 * seconds:
        got = inside[-1]["t"] - first["t"] if first and inside else 0
        raise BenchmarkError(f"no steady window of {seconds:g} s (got {got:.1f} s): the run ended early")
    return Window(first, inside[-1], inside)


def print_table(headers: list[str], rows: list[list]) -> None:
    """Columns: the first left-aligned, the others right-aligned; cells printed as given (format first)."""
    cells = [[str(cell) for cell in row] for row in rows]
    widths = [max(len(header), *(len(row[i]) for row in cells)) for i, header in enumerate(headers)]

    def line(row):
        return "  ".join(
            cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        )

    print(line(headers))
    for row in cells:
        print(line(row))


def print_json(summary: dict) -> None:
    print(json.dumps(summary), flush=True)


def goal_text(met: bool) -> str:
    return "met" if met else "NOT met"

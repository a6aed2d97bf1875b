"""``python -m benchmarks target``: reference-server req/s on the contract's mixed workload.

The workload is the one behind the production figure in the contract (~870 req/s): 20
concurrent clients alternating ``POST /ctx`` and ``GET /ctx``, on this 2-core machine. The
server is pinned to CPU 0 and the generator to CPU 1 (``taskset``, when there are 2+ CPUs).
Two generators take turns, for several rounds:

* ``locust``: a bare FastHttpUser (``benchmarks/locustfiles/mixed_post_get.py``), always;
* ``wrk``: a C load generator (Debian package ``wrk``), when installed. It spends far less CPU
  per request, so it shows what the server does when the generator is not the limit.

The CPU columns say which side was saturated. Options: ``--seconds``, ``--rounds``, ``--users``.
"""

import argparse
import csv
import datetime
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from target.launcher import ReferenceServer

PRODUCTION_RPS = 870
LOCUSTFILE = Path(__file__).parent / "locustfiles" / "mixed_post_get.py"
WRK_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  local key = "bench." .. (n % 20)
  if n % 2 == 1 then
    return wrk.format("POST", "/ctx", {["Content-Type"] = "application/json"},
      '{"key":"' .. key .. '","value":{"n":' .. n .. '},"who":"bench"}')
  end
  return wrk.format("GET", "/ctx?key=" .. key)
end
"""


def _can_pin() -> bool:
    return bool(shutil.which("taskset")) and (os.cpu_count() or 1) >= 2


def _pinned(cpu: int) -> list[str]:
    return ["taskset", "-c", str(cpu)] if _can_pin() else []


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _run_measured(command: list[str], server: psutil.Process, workdir: str) -> tuple[str, float, float]:
    """Run a generator to its end; return its output, server CPU % and generator CPU % (of one core)."""
    log_path = Path(workdir) / "generator.log"
    server_before = _cpu_seconds(server)
    started = time.monotonic()
    generator_cpu = 0.0
    with open(log_path, "w") as log:
        generator = psutil.Popen(command, cwd=workdir, stdout=log, stderr=subprocess.STDOUT)
        while True:
            try:
                generator_cpu = _cpu_seconds(generator)  # sampled until the end: a dead process has none
                generator.wait(timeout=0.5)
                break
            except (psutil.TimeoutExpired, subprocess.TimeoutExpired):
                continue
            except psutil.NoSuchProcess:
                generator.wait()
                break
    wall = time.monotonic() - started
    server_cpu = (_cpu_seconds(server) - server_before) / wall * 100
    return log_path.read_text(), server_cpu, generator_cpu / wall * 100


def run_locust(url: str, server: psutil.Process, seconds: int, users: int, workdir: str) -> dict:
    prefix = Path(workdir) / "locust"
    command = [
        *_pinned(1),
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        f"{seconds}s",
        "-H",
        url,
        "--csv",
        str(prefix),
        "--only-summary",
    ]
    _output, server_cpu, generator_cpu = _run_measured(command, server, workdir)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        aggregated = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {
        "rps": float(aggregated["Requests/s"]),
        "errors": int(aggregated["Failure Count"]),
        "server_cpu": server_cpu,
        "generator_cpu": generator_cpu,
    }


def run_wrk(url: str, server: psutil.Process, seconds: int, users: int, workdir: str) -> dict:
    script = Path(workdir) / "mixed.lua"
    script.write_text(WRK_SCRIPT)
    command = [*_pinned(1), "wrk", "-t1", f"-c{users}", f"-d{seconds}s", "-s", str(script), url]
    output, server_cpu, generator_cpu = _run_measured(command, server, workdir)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    if not rps:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    return {
        "rps": float(rps.group(1)),
        "errors": int(errors.group(1)) if errors else 0,
        "server_cpu": server_cpu,
        "generator_cpu": generator_cpu,
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks target", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=int, default=15, help="length of each measured run (default 15)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of each generator, alternating (default 3)")
    parser.add_argument("--users", type=int, default=20, help="concurrent clients (default 20, as in the contract)")
    args = parser.parse_args(argv)
    if args.seconds < 1 or args.rounds < 1 or args.users < 1:
        parser.error("--seconds, --rounds and --users must be at least 1")

    generators = {"locust": run_locust}
    if shutil.which("wrk"):
        generators["wrk"] = run_wrk
    else:
        print("wrk is not installed (apt-get install wrk): measuring with Locust only", file=sys.stderr)

    results: dict[str, list[dict]] = {name: [] for name in generators}
    with tempfile.TemporaryDirectory(prefix="ctxload-bench-") as workdir, ReferenceServer() as server:
        server_process = psutil.Process(server.pid)
        if _can_pin():
            server_process.cpu_affinity([0])
        print(f"{'generator':<9} {'round':>5} {'req/s':>9} {'server CPU':>11} {'generator CPU':>14} {'errors':>7}")
        for round_number in range(1, args.rounds + 1):
            for name, run in generators.items():
                result = run(server.url, server_process, args.seconds, args.users, workdir)
                results[name].append(result)
                print(
                    f"{name:<9} {round_number:>5} {result['rps']:>9.0f} {result['server_cpu']:>10.0f}% "
                    f"{result['generator_cpu']:>13.0f}% {result['errors']:>7}"
                )

    summary = {
        "benchmark": "target",
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "seconds": args.seconds,
        "rounds": args.rounds,
        "users": args.users,
        "production_rps": PRODUCTION_RPS,
    }
    print(f"\n{'generator':<9} {'median req/s':>13} {'x production (~870)':>20}")
    for name, runs in results.items():
        median = statistics.median(run["rps"] for run in runs)
        summary[f"{name}_rps_median"] = round(median)
        summary[f"{name}_x_production"] = round(median / PRODUCTION_RPS, 2)
        summary[f"{name}_errors"] = sum(run["errors"] for run in runs)
        print(f"{name:<9} {median:>13.0f} {median / PRODUCTION_RPS:>19.1f}x")
    print(json.dumps(summary))
    return 0

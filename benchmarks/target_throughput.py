"""``python -m benchmarks target``: reference-server req/s on the contract's mixed workload, and WS fan-out.

**Mixed workload**: the one behind the production figure in the contract (~870 req/s): 20
concurrent clients alternating ``POST /ctx`` and ``GET /ctx``, on this 2-core machine. The
server is pinned to CPU 0 and the generator to CPU 1 (``taskset``, when there are 2+ CPUs).
Two generators take turns, for several rounds:

* ``locust``: a bare FastHttpUser (``benchmarks/locustfiles/mixed_post_get.py``), always;
* ``wrk``: a C load generator (Debian package ``wrk``), when installed. It spends far less CPU
  per request, so it shows what the server does when the generator is not the limit.

The CPU columns say which side was saturated.

**WS fan-out**: ``--subscribers`` raw websocket-client Socket.IO sessions (default 5, as in the
contract's delivery check; one gevent process on CPU 1, ``benchmarks.ws_generator listen``)
listen while the same generators post ``/ctx`` only, flat out (``post_only.py``, or wrk with a
POST script), for ``--seconds``: every write is pushed to every subscriber. The table gives the
writes the server applied per second (its change count over the writer's run), the pushes the
subscribers received per second (first to last push), and whether every subscriber got every
write. The contract gives no production fan-out rate, only that 5 subscribers each received
500/500 broadcasts for 500 HTTP writes: that is shown beside it.

Options: ``--seconds``, ``--rounds``, ``--users``, ``--subscribers`` (0: no fan-out)::

    python -m benchmarks target                                  # 3 rounds of 15 s each, both workloads
    python -m benchmarks target --seconds 3 --rounds 1           # a smoke run
"""

import csv
import datetime
import json
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import urllib.request
from pathlib import Path

import psutil

from benchmarks.arguments import OneLineParser, positive
from benchmarks.child_processes import Child, can_pin, pin_process, pinned
from refserver.launcher import PROJECT_ROOT, ReferenceServer

PRODUCTION_RPS = 870
# The contract's only fan-out figure: a delivery check, no rate.
PRODUCTION_FANOUT = {"subscribers": 5, "http_writes": 500, "received_each": 500, "pushes_per_second": None}
LOCUSTFILE = Path(__file__).parent / "locustfiles" / "mixed_post_get.py"
FANOUT_LOCUSTFILE = Path(__file__).parent / "locustfiles" / "post_only.py"
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
# Every value new (RUN: this run's id), so that the server's change count is the number of writes it broadcast.
WRK_POST_SCRIPT = """
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/ctx", {["Content-Type"] = "application/json"},
    '{"key":"fanout.' .. (n % 20) .. '","value":{"n":' .. n .. ',"run":RUN},"who":"bench"}')
end
"""


def _cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


def _run_measured(command: list[str], server: psutil.Process, workdir: str, seconds: int) -> tuple[str, float, float]:
    """Run a generator to its end; return its output, server CPU % and generator CPU % (of one core).

    The generator is stopped if it runs two minutes past ``seconds``, and on any error or Ctrl-C.
    """
    server_before = _cpu_seconds(server)
    with Child(command, cwd=workdir) as generator:
        result = generator.wait(timeout=seconds + 120)
    server_cpu = (_cpu_seconds(server) - server_before) / result.wall_seconds * 100
    return result.stdout + result.stderr, server_cpu, result.cpu_seconds / result.wall_seconds * 100


def run_locust(
    url: str, server: psutil.Process, seconds: int, users: int, workdir: str, locustfile: Path = LOCUSTFILE
) -> dict:
    prefix = Path(workdir) / "locust"
    command = [
        *pinned(1),
        sys.executable,
        "-m",
        "locust",
        "-f",
        str(locustfile),
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
    _output, server_cpu, generator_cpu = _run_measured(command, server, workdir, seconds)
    with open(f"{prefix}_stats.csv", newline="") as handle:
        aggregated = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
    return {
        "rps": float(aggregated["Requests/s"]),
        "errors": int(aggregated["Failure Count"]),
        "server_cpu": server_cpu,
        "generator_cpu": generator_cpu,
    }


def run_wrk(
    url: str, server: psutil.Process, seconds: int, users: int, workdir: str, script_text: str = WRK_SCRIPT
) -> dict:
    script = Path(workdir) / "script.lua"
    script.write_text(script_text)
    command = [*pinned(1), "wrk", "-t1", f"-c{users}", f"-d{seconds}s", "-s", str(script), url]
    output, server_cpu, generator_cpu = _run_measured(command, server, workdir, seconds)
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


def _changes(url: str) -> int:
    """The server's count of context changes so far (``history_count`` of ``GET /ctx/all``)."""
    with urllib.request.urlopen(f"{url}/ctx/all", timeout=30) as response:
        return int(json.load(response)["history_count"])


def run_fanout(name: str, url: str, server: psutil.Process, args, workdir: str) -> dict:
    """Raw subscribers listen while generator ``name`` posts /ctx flat out; what reached them."""
    listener_command = [
        *pinned(1),
        sys.executable,
        "-m",
        "benchmarks.ws_generator",
        "listen",
        str(args.subscribers),
        url,
        "--max-seconds",
        str(args.seconds + 180),
    ]
    with Child(listener_command, cwd=str(PROJECT_ROOT)) as listener:
        ready = json.loads(listener.wait_for_line("ready ", timeout=120)[len("ready ") :])
        before = _changes(url)
        if name == "wrk":
            script = WRK_POST_SCRIPT.replace("RUN", str(int(datetime.datetime.now().timestamp() * 1e6)))
            writer = run_wrk(url, server, args.seconds, args.users, workdir, script)
        else:
            writer = run_locust(url, server, args.seconds, args.users, workdir, FANOUT_LOCUSTFILE)
        writes = _changes(url) - before
        listener.signal(signal.SIGUSR1)
        result = listener.wait(timeout=60)
    lines = result.json_lines()
    if result.returncode != 0 or not lines:
        raise RuntimeError(f"the fan-out listener failed (exit {result.returncode}):\n{result.stderr[-2000:]}")
    heard = json.loads(lines[-1])
    subscribers = ready["sessions"]
    return {
        **writer,
        "writes": writes,
        "subscribers": subscribers,
        "pushes_received": heard["pushes_received"],
        "pushes_expected": writes * subscribers,
        "pushes_per_second": heard["pushes_per_second"],
        "all_delivered": subscribers == args.subscribers
        and heard["still_connected"] == subscribers
        and heard["per_session_min"] == heard["per_session_max"] == writes,
        "listener_cpu": heard["listener_cpu_percent"],
    }


def _print_mixed_row(name: str, round_number: int, result: dict) -> None:
    print(
        f"{name:<9} {round_number:>5} {result['rps']:>9.0f} {result['server_cpu']:>10.0f}% "
        f"{result['generator_cpu']:>13.0f}% {result['errors']:>7}"
    )


def _print_fanout_row(name: str, round_number: int, result: dict) -> None:
    delivered = f"{result['pushes_received']}/{result['pushes_expected']}"
    delivered += " all" if result["all_delivered"] else " LOST"
    print(
        f"{name:<9} {round_number:>5} {result['rps']:>9.0f} {result['pushes_per_second']:>9.0f} {delivered:>20} "
        f"{result['server_cpu']:>10.0f}% {result['generator_cpu']:>13.0f}% {result['listener_cpu']:>12.0f}% "
        f"{result['errors']:>7}"
    )


def main(argv: list[str]) -> int:
    parser = OneLineParser(prog="python -m benchmarks target", description=__doc__)
    parser.add_argument(
        "--seconds", type=positive(int, maximum=3600), default=15, help="length of each measured run (default 15)"
    )
    parser.add_argument(
        "--rounds", type=positive(int, maximum=100), default=3, help="rounds of each generator, alternating (default 3)"
    )
    parser.add_argument(
        "--users",
        type=positive(int, maximum=10_000),
        default=20,
        help="concurrent clients (default 20, as in the contract)",
    )
    parser.add_argument(
        "--subscribers",
        type=positive(int, maximum=10_000, inclusive=True),
        default=PRODUCTION_FANOUT["subscribers"],
        help="raw Socket.IO subscribers in the fan-out runs (default 5, as in the contract; 0: no fan-out)",
    )
    args = parser.parse_args(argv)

    generators = {"locust": run_locust}
    if shutil.which("wrk"):
        generators["wrk"] = run_wrk
    else:
        print("wrk is not installed (apt-get install wrk): measuring with Locust only", file=sys.stderr)

    results: dict[str, list[dict]] = {name: [] for name in generators}
    fanouts: dict[str, list[dict]] = {name: [] for name in generators}
    with tempfile.TemporaryDirectory(prefix="ctxload-bench-") as workdir, ReferenceServer() as server:
        server_process = psutil.Process(server.pid)
        pin_process(server.pid, 0)
        print(f"{'generator':<9} {'round':>5} {'req/s':>9} {'server CPU':>11} {'generator CPU':>14} {'errors':>7}")
        for round_number in range(1, args.rounds + 1):
            for name, run in generators.items():
                result = run(server.url, server_process, args.seconds, args.users, workdir)
                results[name].append(result)
                _print_mixed_row(name, round_number, result)
        if args.subscribers:
            print(f"\nWS fan-out: {args.subscribers} raw Socket.IO subscribers, {args.users} HTTP writers posting /ctx")
            print(
                f"{'writer':<9} {'round':>5} {'writes/s':>9} {'pushes/s':>9} {'delivered':>20} {'server CPU':>11} "
                f"{'generator CPU':>14} {'listener CPU':>13} {'errors':>7}"
            )
            for round_number in range(1, args.rounds + 1):
                for name in generators:
                    result = run_fanout(name, server.url, server_process, args, workdir)
                    fanouts[name].append(result)
                    _print_fanout_row(name, round_number, result)

    summary = {
        "benchmark": "target",
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "pinned": can_pin(),
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
    if args.subscribers:
        summary.update(fanout_subscribers=args.subscribers, production_fanout=PRODUCTION_FANOUT)
        print(f"\n{'WS fan-out':<22} {'writes/s':>9} {'pushes/s':>9} {'all delivered':>14}")
        for name, runs in fanouts.items():
            writes = statistics.median(run["rps"] for run in runs)
            pushes = statistics.median(run["pushes_per_second"] for run in runs)
            delivered = all(run["all_delivered"] for run in runs)
            summary[f"fanout_{name}_writes_per_second_median"] = round(writes)
            summary[f"fanout_{name}_pushes_per_second_median"] = round(pushes)
            summary[f"fanout_{name}_all_delivered"] = delivered
            summary[f"fanout_{name}_errors"] = sum(run["errors"] for run in runs)
            label = f"reference, {name}"
            print(f"{label:<22} {writes:>9.0f} {pushes:>9.0f} {'yes' if delivered else 'NO':>14}")
        production = PRODUCTION_FANOUT
        print(
            f"{'production (contract)':<22} {'-':>9} {'-':>9} {'yes':>14}   "
            f"{production['subscribers']} subscribers each received {production['received_each']}/"
            f"{production['http_writes']} for {production['http_writes']} HTTP writes; no rate was measured"
        )
    print(json.dumps(summary))
    return 0

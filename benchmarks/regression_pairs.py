"""Real pairs for ``python -m benchmarks regression-rates --real N``: 60-s Locust runs judged by ``reports compare``.

Each round: a baseline run and two current runs, one against the same server (A/A) and one against a server
10 ms slower (A/B), all against one port, one after the other (the same host, the same machine load):

* ``plain``: the plain locustfile of the tests (no ctxload code, 20 FastHttpUsers), with --csv-full-history,
  against the reference server with ``--inject-latency-ms 40`` (A) and ``50`` (B);
* ``ctxload``: ctxload's own default run (every HTTP and Socket.IO user, ``-u 50``), the same servers.

Prints each comparison's Aggregated mean-latency and throughput verdicts and exit code::

    from benchmarks.regression_pairs import real_rounds
    rows = real_rounds(rounds=2, kinds=("plain", "ctxload"))
"""

import socket
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.child_processes import run
from refserver.launcher import PROJECT_ROOT

PLAIN = PROJECT_ROOT / "tests" / "reports" / "plain_locustfile.py"
# ctxload's own options: a plain locustfile does not know them
CTXLOAD_ONLY = {
    "plain": lambda _prefix: (),
    "ctxload": lambda prefix: ("--monitor-export", str(prefix), "--key-prefix", prefix.name.replace("-", "_")),
}
KINDS = {
    "plain": ("-f", str(PLAIN), "-u", "20", "-r", "20"),
    "ctxload": ("-f", str(PROJECT_ROOT / "locustfile.py"), "-u", "50", "-r", "50"),
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _server_command(latency: str, port: int, dumps: Path) -> list[str]:
    return [sys.executable, "-m", "refserver", "--port", str(port), "--inject-latency-ms", latency,
            "--dump-dir", str(dumps)]  # fmt: skip


def _compare(folder: Path, baseline: str, current: str, name: str) -> dict:
    store = folder / "baselines"
    result = run(
        [sys.executable, "-m", "reports", "compare", current, "--baseline", name, "--baselines", str(store),
         "--out", str(folder / f"out-{Path(current).name}")],
        timeout=120, cwd=str(PROJECT_ROOT),
    )  # fmt: skip
    table = (folder / f"out-{Path(current).name}" / "compare.md").read_text()
    verdicts = {}
    for line in table.splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if len(cells) >= 7 and cells[0] == "Aggregated" and cells[1] in ("mean", "rps"):
            verdicts[cells[1]] = (cells[4], cells[6])
    return {"exit": result.returncode, **{metric: verdict for metric, verdict in verdicts.items()}}


def real_rounds(rounds: int, kinds=tuple(KINDS)) -> list[dict]:
    rows = []
    for number in range(rounds):
        for kind in kinds:
            with tempfile.TemporaryDirectory(prefix="ctxload-pairs-") as directory:
                folder, port = Path(directory), free_port()
                baseline = _locust_run(folder, f"{kind}-a1", kind, "40", port)
                same = _locust_run(folder, f"{kind}-a2", kind, "40", port)
                slower = _locust_run(folder, f"{kind}-b", kind, "50", port)
                saved = run([sys.executable, "-m", "reports", "baseline", "save", "main", baseline, "--baselines",
                             str(folder / "baselines")], timeout=120, cwd=str(PROJECT_ROOT))  # fmt: skip
                if saved.returncode:
                    raise RuntimeError(f"baseline save exited {saved.returncode}: {saved.stderr[-500:]}")
                rows.append(
                    {"round": number + 1, "kind": kind, "pair": "A/A", **_compare(folder, baseline, same, "main")}
                )
                rows.append(
                    {"round": number + 1, "kind": kind, "pair": "A/B", **_compare(folder, baseline, slower, "main")}
                )
    return rows


def _locust_run(folder: Path, name: str, kind: str, latency: str, port: int) -> str:
    """One 60-s run against a fresh server on ``port`` (the same host for every run of a round)."""
    dumps = folder / f"dumps-{name}"
    server = subprocess.Popen(
        _server_command(latency, port, dumps), cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        server.stdout.readline()  # "ctxload target listening on ...": it answers from now on
        prefix = folder / name
        result = run(
            [sys.executable, "-m", "locust", *KINDS[kind], "-t", "60s", "--headless", "--only-summary",
             "--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--csv-full-history",
             *CTXLOAD_ONLY[kind](prefix)],
            timeout=240, cwd=str(PROJECT_ROOT),
        )  # fmt: skip
        if result.returncode not in (0, 1):
            raise RuntimeError(f"locust {name} exited {result.returncode}: {result.stderr[-500:]}")
        return str(prefix)
    finally:
        server.terminate()
        server.wait(10)
        server.stdout.close()

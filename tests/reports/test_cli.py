"""``python -m reports`` on CSV files of real Locust runs: summaries, trends, baselines, verdicts, bad input."""

import base64
import contextlib
import io
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import pytest
from junitparser import Failure, JUnitXml

from reports.cli import main
from tests.conftest import PROJECT_ROOT


def reports(*args: str, cwd=PROJECT_ROOT) -> SimpleNamespace:
    """``python -m reports ARGS`` in this process (a fresh interpreter per call would cost seconds each)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), contextlib.chdir(cwd):
        try:
            code = main(list(args))
        except SystemExit as exc:  # argparse's own exits
            code = exc.code
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


def test_the_module_runs_from_the_command_line(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "reports", "summary", "nowhere/run"], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert result.returncode == 2
    assert result.stderr.startswith("python -m reports: error: ") and "nowhere/run_stats.csv" in result.stderr


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two real 150-s runs at once, with full history: one against a fast server, one against a 25 ms slower one.

    Writers only: few endpoints, so few tests to correct for. A verdict at the corrected level needs about
    ten 10-s blocks of steady state on each side (fewer: an unbounded interval, inconclusive), hence the length.
    """
    from refserver.launcher import ReferenceServer

    folder = tmp_path_factory.mktemp("runs")
    servers = {"fast": ReferenceServer(dump_dir=folder / "dumps-fast")}
    servers["slow"] = ReferenceServer("--inject-latency-ms", "25", dump_dir=folder / "dumps-slow")
    processes = {}
    try:
        for name, server in servers.items():
            server.start()
            command = [
                sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "locustfile.py"), "--headless",
                "-u", "10", "-r", "10", "-t", "150s", "--host", server.url, "--tags", "write",
                "--csv", str(folder / name), "--csv-full-history", "--monitor-export", str(folder / name),
            ]  # fmt: skip
            processes[name] = subprocess.Popen(
                command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
        for process in processes.values():
            _, errors = process.communicate(timeout=240)
            assert process.returncode in (0, 1), errors[-2000:]
    finally:
        for server in servers.values():
            server.stop()
    return {name: str(folder / name) for name in servers}


def test_summary_writes_markdown_and_a_self_contained_html_with_the_plots(runs, tmp_path):
    out = tmp_path / "summary"
    result = reports("summary", runs["fast"], "--out", str(out))
    assert result.returncode == 0, result.stderr
    markdown = (out / "summary.md").read_text()
    assert "| POST /ctx " in markdown and "Aggregated" in markdown and "Monitor verdict: PASS" in markdown
    html = (out / "summary.html").read_text()
    images = re.findall(r"src='data:image/png;base64,([A-Za-z0-9+/=]+)'", html)
    assert len(images) == 3 and all(base64.b64decode(image)[:4] == b"\x89PNG" for image in images)  # inlined
    for png in ("over_time.png", "latency_distribution.png", "users_vs_latency.png"):
        assert (out / png).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_trend_states_the_warm_up_and_what_it_could_not_test(runs, tmp_path):
    out = tmp_path / "trend"
    result = reports("trend", runs["fast"], "--out", str(out), "--confidence", "0.9")
    assert result.returncode == 0, result.stderr
    markdown = (out / "trend.md").read_text()
    assert "Warm-up left out:" in markdown and "90% confidence" in markdown
    assert "| POST /ctx " in markdown and "Mann-Kendall on" in markdown  # minutes: enough blocks for the test


def test_trend_finds_the_drift_in_a_generated_soak(tmp_path):
    from benchmarks.soak_history import write_soak

    prefix = str(tmp_path / "soak")
    write_soak(prefix, hours=0.5, endpoints=3, seed=3)
    out = tmp_path / "trend"
    assert reports("trend", prefix, "--out", str(out)).returncode == 0
    markdown = (out / "trend.md").read_text()
    trending = markdown.split("## Trending series")[1].split("## All series")[0]
    assert "increasing" in trending, markdown[:3000]


def test_baselines_are_saved_listed_shown_protected_and_deleted(runs, tmp_path):
    store = str(tmp_path / "baselines")
    saved = reports("baseline", "save", "v1", runs["fast"], "--baselines", store)
    assert saved.returncode == 0, saved.stderr
    meta = json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)
    assert meta["users"] == 10 and 145 <= meta["duration_seconds"] <= 165
    assert meta["host"].startswith("http://127.0.0.1:") and meta["locust_version"] == "2.47.0"
    assert meta["date"] and meta["git_commit"] and meta["full_history"] is True
    again = reports("baseline", "save", "v1", runs["slow"], "--baselines", store)
    assert again.returncode == 2 and "already exists" in again.stderr and len(again.stderr.splitlines()) == 1
    assert json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)["source"] == meta["source"]
    assert reports("baseline", "save", "v1", runs["slow"], "--baselines", store, "--replace").returncode == 0
    assert json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)["source"] != meta["source"]
    assert reports("baseline", "list", "--baselines", store).stdout.startswith("v1\t")
    assert reports("baseline", "delete", "v1", "--baselines", store).returncode == 0
    assert reports("baseline", "list", "--baselines", store).stdout == ""


def test_a_slower_build_is_a_regression_exit_4_and_a_faster_one_is_not(runs, tmp_path):
    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "fast", runs["fast"], "--baselines", store).returncode == 0
    assert reports("baseline", "save", "slow", runs["slow"], "--baselines", store).returncode == 0
    junit = tmp_path / "ci" / "compare.xml"  # its folder is made
    slower = reports("compare", runs["slow"], "--baseline", "fast", "--baselines", store, "--junit", str(junit))
    assert slower.returncode == 4, slower.stdout + slower.stderr
    regressed = re.findall(r"^REGRESSION (.+ p(?:50|95|99)):", slower.stdout, re.MULTILINE)
    assert regressed, slower.stdout  # 25 ms more on every request: latency regressions
    failed = [case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite if
              any(isinstance(r, Failure) for r in case.result)]  # fmt: skip
    assert set(regressed) <= set(failed)
    faster = reports("compare", "--baseline", "slow", "--against-baseline", "fast", "--baselines", store, cwd=tmp_path)
    assert faster.returncode == 0, faster.stdout + faster.stderr
    assert "REGRESSION" not in faster.stdout and "improvement" in faster.stdout
    assert (tmp_path / "compare_fast_vs_slow" / "compare.html").exists()  # beside, not inside, the store


def test_a_run_against_its_own_baseline_has_no_regression(runs, tmp_path):
    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "same", runs["fast"], "--baselines", store).returncode == 0
    result = reports("report", runs["fast"], "--baseline", "same", "--baselines", store, "--out", str(tmp_path / "r"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "regression" not in result.stdout.split("compare:")[1]
    assert (tmp_path / "r" / "compare.html").exists() and (tmp_path / "r" / "summary.html").exists()


BAD = [
    (("summary", "nowhere/run"), "nowhere/run_stats.csv"),
    (("compare", "x", "--baseline", "nope", "--baselines", "{store}"), "no baseline 'nope'"),
    (("compare", "--baseline", "v", "--baselines", "{store}"), "either PREFIX or --against-baseline"),
    (("baseline", "save", "../evil", "{fast}", "--baselines", "{store}"), "baseline name '../evil'"),
    (("baseline", "show", "missing", "--baselines", "{store}"), "no baseline 'missing'"),
    (("trend", "{fast}", "--confidence", "2"), "--confidence: expected a number from 0.5 to 0.999, got '2'"),
    (("report", "{fast}", "--baseline", "nope", "--baselines", "{store}", "--out", "{out}"), "no baseline 'nope'"),
]


@pytest.mark.parametrize(("args", "message"), BAD)
def test_bad_input_is_one_line_and_exit_2(runs, tmp_path, args, message):
    store = tmp_path / "baselines"
    if "compare" in args and "v" in args:
        assert reports("baseline", "save", "v", runs["fast"], "--baselines", str(store)).returncode == 0
    filled = [arg.format(store=store, fast=runs["fast"], out=tmp_path / "out") for arg in args]
    result = reports(*filled, cwd=tmp_path)
    assert result.returncode == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert not (tmp_path / "nowhere").exists() and not (tmp_path / "out").exists()  # nothing written


def test_a_history_cut_by_a_killed_run_is_refused_unless_allowed(runs, tmp_path):
    import shutil

    prefix = tmp_path / "killed"
    for suffix in ("_stats.csv", "_stats_history.csv"):
        shutil.copyfile(f"{runs['fast']}{suffix}", f"{prefix}{suffix}")
    history = tmp_path / "killed_stats_history.csv"
    history.write_bytes(history.read_bytes()[:-25])
    refused = reports("summary", str(prefix), "--out", str(tmp_path / "out"))
    assert refused.returncode == 2 and "is incomplete" in refused.stderr and "--allow-cut" in refused.stderr
    assert not (tmp_path / "out").exists()  # nothing written
    allowed = reports("summary", str(prefix), "--out", str(tmp_path / "out"), "--allow-cut")
    assert allowed.returncode == 0 and "warning:" in allowed.stderr

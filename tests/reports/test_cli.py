"""``python -m reports`` on CSV files of real Locust runs: summaries, trends, baselines, verdicts, bad input."""

import base64
import contextlib
import io
import json
import re
import subprocess
import sys
from pathlib import Path
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


PLAIN = PROJECT_ROOT / "tests" / "reports" / "plain_locustfile.py"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Real runs at once: pairs of 60-s runs of a plain Locust file (no ctxload code) against a 40-ms server (A1,
    A2) and a 50-ms one (B), with and without --csv-full-history; and a 100-s run of ctxload's writers with its
    monitor export ("fast": long enough for a trend test).
    """
    from refserver.launcher import ReferenceServer

    folder = tmp_path_factory.mktemp("runs")
    latencies = {"40": ("--inject-latency-ms", "40"), "50": ("--inject-latency-ms", "50"), "": ()}
    servers = {key: ReferenceServer(*options, dump_dir=folder / f"d{key}") for key, options in latencies.items()}
    plain = ("-f", str(PLAIN), "-u", "20", "-r", "20", "-t", "60s")
    ctxload = ("-f", str(PROJECT_ROOT / "locustfile.py"), "-u", "10", "-r", "10", "-t", "100s", "--tags", "write")
    jobs = {  # name: (server, arguments)
        **{f"{name}{suffix}": (latency, (*plain, *extra)) for name, latency in (("a1", "40"), ("a2", "40"), ("b", "50"))
           for suffix, extra in (("", ("--csv-full-history",)), ("_agg", ()))},
        "fast": ("", (*ctxload, "--csv-full-history", "--monitor-export", str(folder / "fast"))),
    }  # fmt: skip
    processes = {}
    try:
        for server in servers.values():
            server.start()
        for name, (latency, arguments) in jobs.items():
            command = [sys.executable, "-m", "locust", "--headless", "--host", servers[latency].url,
                       "--csv", str(folder / name), "--only-summary", *arguments]  # fmt: skip
            processes[name] = subprocess.Popen(
                command, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
        for process in processes.values():
            _, errors = process.communicate(timeout=240)
            assert process.returncode in (0, 1), errors[-2000:]
    finally:
        for server in servers.values():
            server.stop()
    return {name: str(folder / name) for name in jobs}


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


def test_a_baseline_is_a_history_of_runs_saved_listed_shown_trimmed_replaced_and_deleted(runs, tmp_path):
    store = str(tmp_path / "baselines")
    saved = reports("baseline", "save", "v1", runs["fast"], "--baselines", store)
    assert saved.returncode == 0, saved.stderr
    (run,) = json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)["runs"]
    assert run["users"] == 10 and 95 <= run["duration_seconds"] <= 115
    assert run["host"].startswith("http://127.0.0.1:") and run["locust_version"] == "2.47.0"
    assert run["date"] and run["git_commit"] and run["full_history"] is True
    for prefix in (runs["a1"], runs["a2"]):  # saving under the same name adds a run
        assert reports("baseline", "save", "v1", prefix, "--baselines", store, "--keep", "2").returncode == 0
    kept = json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)["runs"]
    assert [Path(r["source"]).name for r in kept] == ["a1", "a2"]  # the last two, oldest first
    assert reports("baseline", "list", "--baselines", store).stdout.startswith("v1\t2 runs\t")
    assert reports("baseline", "save", "v1", runs["b"], "--baselines", store, "--replace").returncode == 0
    (only,) = json.loads(reports("baseline", "show", "v1", "--baselines", store).stdout)["runs"]
    assert Path(only["source"]).name == "b"
    assert reports("baseline", "delete", "v1", "--baselines", store).returncode == 0
    assert reports("baseline", "list", "--baselines", store).stdout == ""


@pytest.mark.parametrize("suffix", ["", "_agg"], ids=["full history", "aggregated only"])
def test_one_minute_runs_a_slower_server_is_a_regression_and_the_same_one_is_no_change(runs, tmp_path, suffix):
    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "main", runs[f"a1{suffix}"], "--baselines", store).returncode == 0
    out = str(tmp_path / "aa")
    same = reports("compare", runs[f"a2{suffix}"], "--baseline", "main", "--baselines", store, "--out", out)
    assert same.returncode == 0, same.stdout + same.stderr
    table = (tmp_path / "aa" / "compare.md").read_text()
    for metric in ("mean", "rps"):
        assert re.search(rf"\| Aggregated +\| {metric} .*\| no change ", table), table
    assert "Judged within the run only" in same.stdout  # one run in the history: it says so
    junit = tmp_path / "ci" / "compare.xml"  # its folder is made
    slower = reports("compare", runs[f"b{suffix}"], "--baseline", "main", "--baselines", store,
                     "--junit", str(junit), "--out", str(tmp_path / "ab"))  # fmt: skip
    assert slower.returncode == 4, slower.stdout + slower.stderr
    regressed = re.findall(r"^REGRESSION (.+? \w+):", slower.stdout, re.MULTILINE)
    assert "Aggregated mean" in regressed, slower.stdout  # 10 ms more on every request
    failed = [case.name for suite in JUnitXml.fromfile(str(junit)) for case in suite if
              any(isinstance(r, Failure) for r in case.result)]  # fmt: skip
    assert set(regressed) <= set(failed)


def test_a_faster_build_is_an_improvement_and_baselines_compare_with_each_other(runs, tmp_path):
    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "slow", runs["b"], "--baselines", store).returncode == 0
    assert reports("baseline", "save", "fast", runs["a1"], "--baselines", store).returncode == 0
    faster = reports("compare", "--baseline", "slow", "--against-baseline", "fast", "--baselines", store, cwd=tmp_path)
    assert faster.returncode == 0, faster.stdout + faster.stderr
    assert "REGRESSION" not in faster.stdout and "improvement" in faster.stdout
    assert (tmp_path / "compare_fast_vs_slow" / "compare.html").exists()  # beside, not inside, the store


def test_runs_that_are_not_comparable_get_no_verdict(runs, tmp_path):
    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "writers", runs["fast"], "--baselines", store).returncode == 0
    result = reports("compare", runs["a1"], "--baseline", "writers", "--baselines", store, "--out", str(tmp_path / "x"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOT COMPARABLE: different user counts: baseline 10, current 20" in result.stdout
    assert "REGRESSION" not in result.stdout and re.search(r"compare: \d+ not comparable$", result.stdout, re.M)


def test_history_shows_each_run_and_where_it_got_slower(runs, tmp_path):
    store = str(tmp_path / "baselines")
    for prefix in (runs["a1"], runs["a2"], runs["a1"], runs["b"], runs["b"], runs["b"]):
        assert reports("baseline", "save", "main", prefix, "--baselines", store).returncode == 0
    result = reports("history", "main", "--baselines", store, "--out", str(tmp_path / "h"))
    assert result.returncode == 0, result.stdout + result.stderr
    page = (tmp_path / "h" / "history.md").read_text()
    assert re.search(r"mean latency: [\d.]+ -> [\d.]+ ms \(\+\d+\.\d%\) between run 3 \(.*\) and run 4", page), page
    assert (tmp_path / "h" / "history.png").read_bytes()[:4] == b"\x89PNG"
    rows = (tmp_path / "h" / "history.csv").read_text().splitlines()
    assert len(rows) == 7 and rows[0].startswith("run,id,date,commit,users,seconds,mean_ms")


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


def test_a_damaged_history_is_read_as_far_as_it_can_be_with_one_line_per_problem(runs, tmp_path):
    store = tmp_path / "baselines"
    for prefix in (runs["a1"], runs["a2"], runs["a1"], runs["a2"]):
        assert reports("baseline", "save", "main", prefix, "--baselines", str(store)).returncode == 0
    first, second, third, _fourth = sorted((store / "main" / "runs").iterdir())
    (first / "meta.json").write_text("[]")  # hand-edited into something else
    (second / "run_stats_history.csv").unlink()  # a file lost
    meta = json.loads((third / "meta.json").read_text())
    (third / "meta.json").write_text(json.dumps({**meta, "locust_version": "2.46.0"}))  # another Locust
    result = reports(
        "compare", runs["a2"], "--baseline", "main", "--baselines", str(store), "--out", str(tmp_path / "o")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning: ")]
    assert any(f"run {first.name} left out: unreadable meta.json" in line for line in warnings), warnings
    assert any(f"run {second.name} left out: its history file is missing" in line for line in warnings), warnings
    assert any("made with Locust 2.46.0, 2.47.0" in line for line in warnings), warnings
    assert "holds 2 comparable runs" in result.stdout  # the two runs that could be read were used
    assert all(len(line) < 300 for line in warnings)


def _copy_run(source: str, prefix: Path, suffixes=("_stats.csv", "_stats_history.csv", "_monitor.json")) -> None:
    import shutil

    for suffix in suffixes:
        if Path(f"{source}{suffix}").exists():
            shutil.copyfile(f"{source}{suffix}", f"{prefix}{suffix}")


def test_a_baseline_with_hand_edited_metadata_is_skipped_by_list_and_refused_by_show(runs, tmp_path):
    store = tmp_path / "baselines"
    assert reports("baseline", "save", "good", runs["a1"], "--baselines", str(store)).returncode == 0
    assert reports("baseline", "save", "bad", runs["a2"], "--baselines", str(store)).returncode == 0
    (meta,) = (store / "bad").rglob("meta.json")
    meta.write_text(json.dumps({**json.loads(meta.read_text()), "git_commit": 5, "date": ["x"]}))  # wrong types
    listed = reports("baseline", "list", "--baselines", str(store))
    assert listed.returncode == 0 and listed.stdout.startswith("good\t1 runs\t"), listed.stdout + listed.stderr
    (warning,) = listed.stderr.splitlines()
    assert warning.startswith("warning: baseline 'bad': none of its 1 runs can be read")
    shown = reports("baseline", "show", "bad", "--baselines", str(store))
    assert shown.returncode == 2 and len(shown.stderr.strip().splitlines()) == 1, shown.stderr


def test_a_history_field_longer_than_the_csv_module_allows_is_one_line(runs, tmp_path):
    prefix = tmp_path / "long"
    _copy_run(runs["a1"], prefix)
    history = Path(f"{prefix}_stats_history.csv")
    lines = history.read_text().splitlines(keepends=True)
    lines.insert(3, "1," + "9" * 200_000 + "\n")  # a damaged line: one 200-KB field (the csv module's limit: 128 KB)
    history.write_text("".join(lines))
    result = reports("summary", str(prefix), "--out", str(tmp_path / "out"))
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "line 4" in result.stderr and "Traceback" not in result.stderr


def test_a_monitor_export_that_is_not_final_shows_no_verdict(runs, tmp_path):
    prefix = tmp_path / "cut"
    _copy_run(runs["fast"], prefix)
    export = Path(f"{prefix}_monitor.json")
    document = json.loads(export.read_text())
    export.write_text(json.dumps({**document, "final": False}))  # as a run killed before its last write leaves it
    result = reports("summary", str(prefix), "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    markdown = (tmp_path / "out" / "summary.md").read_text()
    assert "The monitor export is not final" in markdown and "Monitor verdict: PASS" not in markdown


def test_compare_junit_to_a_device_writes_through_it_and_leaves_the_device(runs, tmp_path):
    import os
    import stat

    store = str(tmp_path / "baselines")
    assert reports("baseline", "save", "v", runs["a1"], "--baselines", store).returncode == 0
    device = tmp_path / "null"
    try:
        os.mknod(device, 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # what /dev/null is
    except PermissionError:
        pytest.skip("this machine does not let the tests make a device node (no CAP_MKNOD)")
    result = reports("compare", runs["a2"], "--baseline", "v", "--baselines", store, "--out", str(tmp_path / "o"),
                     "--junit", str(device))  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert stat.S_ISCHR(os.lstat(device).st_mode)  # before: renamed over, the node became a plain file

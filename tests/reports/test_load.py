"""reports.load on real Locust files (short real runs), on any Locust run's files, on every kind of bad
input (one line naming the file, and the line and column where there is one), and the soak generator's
format against a real Locust file."""

import csv
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from benchmarks.soak_history import write_soak
from reports import input_checks, locust_csv
from reports.input_checks import ReportInputError, ReportInputWarning
from reports.load import load_history, load_run
from tests.conftest import PROJECT_ROOT

PERCENTILES = ["p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p999", "p9999", "p100"]
STATS_COLUMNS = ["type", "name", "endpoint", "requests", "failures", "median_ms", "avg_ms", "min_ms", "max_ms",
                 "avg_size", "rps", "fail_rps", *PERCENTILES]  # fmt: skip
HISTORY_COLUMNS = ["timestamp", "users", "type", "name", "endpoint", "rps", "fail_rps", *PERCENTILES,
                   "total_requests", "total_failures", "total_median_ms", "total_avg_ms", "total_min_ms",
                   "total_max_ms", "total_avg_size"]  # fmt: skip
FILES = ("stats", "stats_history", "failures", "exceptions")
PLAIN_LOCUSTFILE = """
from locust import FastHttpUser, constant, task


class Plain(FastHttpUser):
    wait_time = constant(0.2)

    @task
    def everything(self):
        self.client.get("/ctx/all")

    @task
    def write_then_read(self):
        # One Name under two Types: the reports must label them "POST /ctx" and "GET /ctx".
        self.client.post("/ctx", json={"key": "plain.1", "value": {"n": 1}, "who": "plain"}, name="/ctx")
        self.client.get("/ctx?key=plain.1", name="/ctx")
"""


def run_locust(command: list[str], cwd: Path = PROJECT_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def headless(host: str, prefix: Path, *options: str, users: int = 4) -> tuple[str, ...]:
    return (
        "--headless",
        "-u",
        str(users),
        "-r",
        str(users),
        "-t",
        "4s",
        "--host",
        host,
        "--csv",
        str(prefix),
        *options,
    )


def stats_names(prefix) -> list[str]:
    """The names in Locust's stats file, and in ctxload's push stats file when the run wrote one."""
    names = []
    for path in (f"{prefix}_stats.csv", f"{prefix}_push_stats.csv"):
        if Path(path).is_file():
            with open(path, newline="") as handle:
                names += [row["Name"] for row in csv.DictReader(handle) if row["Name"] != "Aggregated"]
    return sorted(names)


def check_normalized(run) -> None:
    assert list(run.stats.columns) == STATS_COLUMNS
    assert list(run.history.columns) == HISTORY_COLUMNS
    assert run.history["timestamp"].dtype == np.int64 and run.history["timestamp"].is_monotonic_increasing
    assert all(run.history[name].dtype == np.float64 for name in PERCENTILES)
    first = run.history.iloc[0]
    assert first["endpoint"] == "Aggregated" and first[PERCENTILES].isna().all()  # Locust's N/A before any request
    assert run.history[PERCENTILES].iloc[1:].notna().any(axis=None)
    assert run.stats["endpoint"].iloc[-1] == "Aggregated" and run.stats["type"].iloc[-1] == ""
    assert run.warnings == []


def test_a_real_ctxload_run_with_full_history(locust_command, start_server, tmp_path):
    server = start_server("--drop-write-rate", "0.5", "--fault-seed", "4")  # lost writes: AUDIT rows, failures
    prefix = tmp_path / "ctxload"
    # 8 users: Locust's weighted (deterministic) spawn order then includes a Socket.IO subscriber: WS rows
    options = ("--tags", "read", "write", "ws", "--csv-full-history")
    command = locust_command(*headless(server.url, prefix, *options, users=8))
    result = run_locust(command)
    assert Path(f"{prefix}_stats_history.csv").exists(), result.stderr[-3000:]
    run = load_run(str(prefix))
    check_normalized(run)
    assert run.full_history and run.max_users == 8 and 3 <= run.duration_seconds <= 10
    assert run.endpoints == stats_names(prefix)
    assert {"GET /ctx", "POST /ctx", "push context_updated", "lost writes"} <= set(run.endpoints)
    assert set(run.history["endpoint"]) == {*run.endpoints, "Aggregated"}
    audit = run.stats[run.stats["type"] == "AUDIT"].iloc[0]
    assert audit["name"] == "lost writes" and audit["failures"] >= 1
    assert list(run.failures.columns) == ["method", "name", "error", "occurrences", "first_seen", "last_seen"]
    assert run.failures.loc[run.failures["method"] == "AUDIT", "occurrences"].sum() == audit["failures"]
    assert list(run.exceptions.columns) == ["count", "message", "traceback", "nodes"]
    assert run.monitor is None and run.monitor_rows is None


def test_a_real_ctxload_run_without_full_history(locust_command, server, tmp_path):
    prefix = tmp_path / "aggregated"
    result = run_locust(locust_command(*headless(server.url, prefix, "--tags", "read", "write")))
    assert result.returncode == 0, result.stderr[-3000:]
    run = load_run(str(prefix))
    check_normalized(run)
    # Locust's rows are Aggregated only; ctxload's push figures are an endpoint of their own beside them.
    pushes = {"push context_updated", "all subscribers had it"}
    assert not run.full_history and set(run.history["endpoint"]) == {"Aggregated", *pushes}
    assert run.endpoints == stats_names(prefix) and "POST /ctx" in run.endpoints


@pytest.fixture(scope="module")
def plain_run(server, tmp_path_factory) -> Path:
    """A run of a tiny locustfile that is not ctxload's, with --csv-full-history."""
    folder = tmp_path_factory.mktemp("plain")
    (folder / "plain.py").write_text(PLAIN_LOCUSTFILE)
    prefix = folder / "plain"
    command = [sys.executable, "-m", "locust", "-f", "plain.py", *headless(server.url, prefix, "--csv-full-history")]
    result = run_locust(command, cwd=folder)  # not the project folder: its locust.conf is ctxload's
    assert result.returncode == 0, result.stderr[-3000:]
    return prefix


def test_any_locust_run_loads_and_one_name_under_two_types_gets_the_type(plain_run):
    run = load_run(str(plain_run))
    check_normalized(run)
    assert run.full_history
    assert run.endpoints == ["/ctx/all", "GET /ctx", "POST /ctx"]
    assert set(run.history["endpoint"]) == {"/ctx/all", "GET /ctx", "POST /ctx", "Aggregated"}


@pytest.fixture
def small(tmp_path) -> str:
    """A 3-minute, 2-endpoint generated run (538 history rows) to spoil."""
    prefix = str(tmp_path / "small")
    write_soak(prefix, hours=0.05, endpoints=2, seed=3)
    return prefix


def file(prefix: str, kind: str) -> Path:
    return Path(f"{prefix}_{kind}.csv")


def text_of(path: Path) -> str:
    with open(path, newline="") as handle:  # CRLF kept, as Locust wrote it
        return handle.read()


def lines_of(path: Path) -> list[str]:
    return text_of(path).splitlines(keepends=True)


def set_field(path: Path, line: int, column: str, value: str) -> None:
    lines = lines_of(path)
    fields = lines[line - 1].rstrip("\r\n").split(",")
    fields[lines[0].rstrip("\r\n").split(",").index(column)] = value
    lines[line - 1] = ",".join(fields) + "\r\n"
    path.write_bytes("".join(lines).encode())


def error_of(prefix: str) -> str:
    with pytest.raises(ReportInputError) as caught:
        load_run(prefix)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("kind", ["stats", "stats_history"])
def test_a_missing_required_file(small, kind):
    file(small, kind).unlink()
    if kind == "stats":
        assert error_of(small) == f"{small}_stats.csv: no such file (is {small!r} the PREFIX given to locust --csv?)"
    else:  # the stats file is there: what is missing is the history, which 'summary' can do without
        assert error_of(small) == (
            f"{small}_stats_history.csv: no such file: this report needs the history over time (Locust writes it "
            "with --csv; 'summary' reads small_stats.csv alone)"
        )


def test_missing_optional_files_are_empty_frames_or_none(small):
    file(small, "failures").unlink()
    file(small, "exceptions").unlink()
    run = load_run(small)
    assert list(run.failures.columns) == ["method", "name", "error", "occurrences"] and run.failures.empty
    assert list(run.exceptions.columns) == ["count", "message", "traceback", "nodes"] and run.exceptions.empty
    assert run.monitor is None and run.monitor_rows is None


@pytest.mark.parametrize("kind", FILES)
def test_an_empty_file(small, kind):
    file(small, kind).write_bytes(b"")
    assert error_of(small) == f"{small}_{kind}.csv: empty file (0 bytes)"


@pytest.mark.parametrize("kind", ["stats", "stats_history"])
def test_a_header_without_rows(small, kind):
    file(small, kind).write_bytes(lines_of(file(small, kind))[0].encode())
    assert error_of(small) == (
        f"{small}_{kind}.csv: no data rows, only a header (did the run end before its first second?)"
    )


def test_a_half_written_last_history_line_is_an_error_or_left_out_on_request(small):
    history = file(small, "stats_history")
    history.write_bytes(history.read_bytes()[:-40])  # a killed run: 537 whole rows, then part of one
    message = f"{history}: line 539 is incomplete (the run killed while writing it?): left out"
    assert error_of(small) == message.replace(": left out", "; give --allow-cut to read the rest")
    run = load_run(small, allow_cut=True)
    assert len(run.history) == 537 and run.warnings == [message]
    with pytest.warns(ReportInputWarning, match=re.escape(message)):
        assert len(load_history(history)) == 537


def test_a_cut_stats_file_is_an_error_naming_the_line(small):
    stats = file(small, "stats")
    stats.write_bytes(stats.read_bytes()[: -len(lines_of(stats)[-1]) + 30])
    assert error_of(small) == f"{stats}: line 4 has 6 fields, the header 22 (cut short?)"


@pytest.mark.parametrize(
    ("change", "fields"), [(lambda line: ",".join(line.split(",")[:5]) + "\r\n", 5), (lambda line: "9," + line, 25)]
)
def test_a_wrong_number_of_fields_inside_the_history(small, monkeypatch, change, fields):
    monkeypatch.setattr(locust_csv, "CHUNK_ROWS", 100)  # the bad line is in a later chunk
    history = file(small, "stats_history")
    lines = lines_of(history)
    lines[349] = change(lines[349])
    history.write_bytes("".join(lines).encode())
    hint = " (cut short?)" if fields < 24 else ""
    assert error_of(small) == f"{history}: line 350 has {fields} fields, the header 24{hint}"


@pytest.mark.parametrize("kind", ["stats", "stats_history"])
def test_a_foreign_file_names_the_first_missing_column(small, kind):
    file(small, kind).write_bytes(b"time,elapsed,state\r\n1,2,running\r\n")
    what = {"stats": "stats", "stats_history": "stats history"}[kind]
    first = {"stats": "Type", "stats_history": "Timestamp"}[kind]
    assert error_of(small) == f"{small}_{kind}.csv: not a Locust {what} file: no {first!r} column in its header"


def test_a_history_without_one_column_names_it(small):
    history = file(small, "stats_history")
    lines = lines_of(history)
    lines[0] = lines[0].replace(",Total Request Count", ",Total Requests")
    history.write_bytes("".join(lines).encode())
    expected = f"{history}: not a Locust stats history file: no 'Total Request Count' column in its header"
    assert error_of(small) == expected


@pytest.mark.parametrize(
    ("kind", "line", "column", "value", "expected"),
    [
        ("stats_history", 5, "Requests/s", "abc", "a number"),
        ("stats_history", 430, "Total Request Count", "12.5", "a whole number"),
        ("stats_history", 431, "95%", "", "a number"),
        ("stats_history", 432, "Failures/s", "N/A", "a number"),  # N/A only where percentiles go
        ("stats", 3, "Request Count", "many", "a whole number"),
        ("failures", 2, "Occurrences", "x", "a whole number"),
    ],
)
def test_a_value_that_is_not_a_number_names_line_and_column(small, monkeypatch, kind, line, column, value, expected):
    monkeypatch.setattr(locust_csv, "CHUNK_ROWS", 100)
    path = file(small, kind)
    if kind == "failures":
        path.write_bytes(b"Method,Name,Error,Occurrences,First Seen,Last Seen\r\nGET,/x,boom,1,,\r\n")
    set_field(path, line, column, value)
    assert error_of(small) == f"{path}: line {line}, column {column!r}: {value!r} is not {expected}"


def test_a_directory_instead_of_a_file(small):
    file(small, "stats").unlink()
    file(small, "stats").mkdir()
    assert error_of(small) == f"{small}_stats.csv: is a directory, not a file"


def test_an_unreadable_file(small, monkeypatch):
    stats = file(small, "stats")
    if os.geteuid() == 0:  # root reads any file: refuse it as the kernel refuses others
        real_open = open

        def refusing(path, *args, **kwargs):
            if Path(path) == stats:
                raise PermissionError(13, "Permission denied", str(path))
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(input_checks, "open", refusing, raising=False)
    else:
        stats.chmod(0)
    assert error_of(small) == f"{stats}: permission denied (cannot read it)"


@pytest.mark.parametrize(("kind", "line"), [("stats_history", 310), ("stats", 2)])
def test_a_windows_code_page_is_read_and_said(small, monkeypatch, kind, line):
    monkeypatch.setattr(locust_csv, "CHUNK_ROWS", 100)  # the byte in a later chunk than the first: read again
    path = file(small, kind)
    lines = path.read_bytes().split(b"\r\n")
    lines[line - 1] = lines[line - 1].replace(b"/api/", "/api/caf\u00e9 \u00e0 la cr\u00e8me/".encode("cp1252"), 1)
    path.write_bytes(b"\r\n".join(lines))
    run = load_run(small)
    assert f"{path}: read as CP1252 text (not UTF-8; a guess from 3 bytes outside ASCII)" in run.warnings
    frame = run.stats if kind == "stats" else run.history
    assert any("/api/caf\u00e9 \u00e0 la cr\u00e8me/" in name for name in frame["name"].astype(str))


@pytest.mark.parametrize("line", [1, 310])
def test_bytes_that_are_no_text_are_refused_with_their_line(small, line):
    path = file(small, "stats_history")
    lines = path.read_bytes().split(b"\r\n")
    lines[line - 1] = bytes(byte for byte in range(256) if byte not in b"\r\n") * 4
    path.write_bytes(b"\r\n".join(lines))
    error = error_of(small)
    assert error.startswith(f"{path}: line {line}: not text in any encoding found (byte 0x"), error


def test_the_monitor_export_is_read_and_a_malformed_one_named(small):
    document = {"final": True, "verdict": {"passed": True}, "snapshots": [{"time": 1.0}]}
    Path(f"{small}_monitor.json").write_text(json.dumps(document))
    Path(f"{small}_monitor.csv").write_text("time,elapsed,state,cpu_percent\n1.0,0.5,running,\n")
    run = load_run(small)
    assert run.monitor == document
    assert len(run.monitor_rows) == 1 and run.monitor_rows["cpu_percent"].isna().all()
    Path(f"{small}_monitor.json").write_text('{"snapshots": [')
    assert error_of(small) == f"{small}_monitor.json: not valid JSON (line 1, column 16: Expecting value)"
    Path(f"{small}_monitor.json").write_text('{"final": true}')
    assert error_of(small) == f'{small}_monitor.json: not a ctxload monitor export (no "snapshots" list)'


def test_chunks_give_the_same_frame_and_report_progress(small, monkeypatch):
    whole = load_run(small).history
    monkeypatch.setattr(locust_csv, "CHUNK_ROWS", 100)
    steps = []
    chunked = load_history(file(small, "stats_history"), progress=lambda step, fraction: steps.append((step, fraction)))
    pd.testing.assert_frame_equal(chunked, whole)
    assert len(steps) == 6 and {step for step, _ in steps} == {"loading small_stats_history.csv"}
    fractions = [fraction for _, fraction in steps]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_other_percentiles_history_out_of_order_and_a_byte_order_mark(small):
    history = file(small, "stats_history")
    rows = list(csv.reader(text_of(history).splitlines()))
    header = rows[0]
    keep = [index for index, column in enumerate(header) if column != "66%"]  # a locustfile's own percentiles
    at = header.index("99%") + 1
    rows = [[row[index] for index in keep[:at]] + [row[at - 1]] + [row[index] for index in keep[at:]] for row in rows]
    rows[0][at] = "99.5%"
    history.write_text("\ufeff" + "".join(",".join(row) + "\r\n" for row in [rows[0], *reversed(rows[1:])]))
    loaded = load_history(history)
    assert list(loaded.columns) == [*HISTORY_COLUMNS[:15], "p995", *HISTORY_COLUMNS[15:]]
    assert loaded["p66"].isna().all() and (loaded["p995"].dropna() == loaded["p99"].dropna()).all()
    assert loaded["timestamp"].is_monotonic_increasing and len(loaded) == 538


def test_the_generator_writes_the_expected_run(tmp_path):
    prefix = str(tmp_path / "soak")
    written = write_soak(prefix, hours=1 / 6, endpoints=3, seed=1)
    assert written["history_rows"] == 1 + 599 * 4  # the first second is Aggregated alone
    assert sorted(written["paths"]) == sorted(FILES)
    run = load_run(prefix)
    check_normalized(run)
    assert len(run.history) == written["history_rows"] and run.full_history
    assert run.endpoints == ["/api/checkout", "GET /api/cart", "POST /api/cart"]
    assert run.duration_seconds == 599 and run.max_users == 200
    total = run.history[run.history["endpoint"] == "Aggregated"]
    assert total["total_failures"].iloc[-1] > 100  # the failure burst
    drifting = run.history[run.history["endpoint"] == "POST /api/cart"]["p50"]
    assert drifting.iloc[-30:].mean() > 1.5 * drifting.iloc[60:90].mean()  # the slow drift
    assert write_soak(str(tmp_path / "short"), hours=1 / 6, endpoints=3, full_history=False)["history_rows"] == 600


def test_the_generator_is_deterministic_by_seed(tmp_path):
    contents = []
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_soak(str(tmp_path / name), hours=0.02, endpoints=2, seed=seed)
        contents.append(Path(f"{tmp_path / name}_stats_history.csv").read_bytes())
    assert contents[0] == contents[1] != contents[2]


def ordering_problems(path: Path) -> list[str]:
    """Locust's order: a second's endpoint rows sorted by (Name, Type), then Aggregated; the first second alone."""
    rows = list(csv.reader(text_of(path).splitlines()))[1:]
    seconds: dict[str, list] = {}
    for row in rows:
        seconds.setdefault(row[0], []).append((row[3], row[2]))
    problems = [f"{second}: {keys}" for second, keys in seconds.items() if keys[-1] != ("Aggregated", "")]
    problems += [f"{second} unsorted" for second, keys in seconds.items() if keys[:-1] != sorted(keys[:-1])]
    first = rows[0]
    if first[2:4] != ["", "Aggregated"] or first[6:17] != ["N/A"] * 11 or rows[1][0] == first[0]:
        problems.append(f"first row {first}")
    return problems


def test_the_generator_format_matches_a_real_locust_file(plain_run, tmp_path):
    prefix = tmp_path / "soak"
    write_soak(str(prefix), hours=0.02, endpoints=3)
    for kind in FILES:
        real, generated = file(str(plain_run), kind).read_bytes(), file(str(prefix), kind).read_bytes()
        assert generated.split(b"\r\n")[0] == real.split(b"\r\n")[0]  # the same header, CRLF-ended
        assert generated.endswith(b"\r\n") and b"\n" not in generated.replace(b"\r\n", b"")
    assert ordering_problems(file(str(plain_run), "stats_history")) == []  # the rule is Locust's
    assert ordering_problems(file(str(prefix), "stats_history")) == []
    for path in (file(str(plain_run), "stats_history"), file(str(prefix), "stats_history")):
        for row in list(csv.reader(text_of(path).splitlines()))[2:]:
            assert len(row) == 24 and re.fullmatch(r"\d+\.\d{6}", row[4]) and row[17].isdigit()
            assert all(value.isdigit() or (value == "N/A" and row[17] == "0") for value in row[6:17])

"""The reports on Locust CSV files that other teams committed to public repositories (tests/data/locust_runs,
their sources in its SOURCES.md), and on broken variants of one of them made the ways real files break.

What each file really says is read here with the csv module alone (no code of ``reports``): the total row's
request and failure counts, as Locust wrote them.
"""

import csv
import re
import shutil
from pathlib import Path

import pytest

from reports import cli

CORPUS = Path(__file__).parents[1] / "data" / "locust_runs"
SUFFIXES = (
    "_stats_history.csv",
    "_stats.csv",
    "_failures.csv",
    "_exceptions.csv",
    "_requests.csv",
    "_distribution.csv",
)


def _prefixes() -> list[str]:
    """Each run's PREFIX, as text: one run was written with an empty one (its files are "_stats.csv" ...)."""
    found = set()
    for path in CORPUS.glob("*/*.csv"):
        suffix = next((suffix for suffix in SUFFIXES if path.name.endswith(suffix)), None)
        if suffix:
            found.add(str(path)[: -len(suffix)])
    return sorted(found)


PREFIXES = _prefixes()


def file(prefix, suffix: str) -> Path:
    return Path(f"{prefix}{suffix}")


def locust_total(stats: Path) -> tuple[int, int]:
    """The total row's requests and failures, read with the csv module (any line end, any byte decoded)."""
    lines = [line for line in re.split(r"\r*\n|\r", stats.read_bytes().decode("latin-1")) if line.strip(" ,;")]
    rows = list(csv.reader(lines))
    header = [column.strip().lower() for column in rows[0]]
    requests = header.index("request count") if "request count" in header else header.index("# requests")
    failures = header.index("failure count") if "failure count" in header else header.index("# failures")
    total = next(row for row in rows[1:] if row[header.index("name")] in ("Aggregated", "Total"))
    return int(total[requests]), int(total[failures])


def reports(capsys, *arguments) -> tuple[int, str]:
    code = cli.main([str(argument) for argument in arguments])
    return code, capsys.readouterr().err


def test_the_corpus_is_what_the_issue_asks_for():
    repositories = {folder.name.split("__")[1] for folder in CORPUS.iterdir() if folder.is_dir()}
    assert len(PREFIXES) >= 20 and len(repositories) >= 10
    kinds = {_kind(prefix) for prefix in PREFIXES}
    assert {"0.x", "0.13", "1.0", "later"} <= kinds


def _kind(prefix: str) -> str:
    if file(prefix, "_requests.csv").exists():
        return "0.x"
    if not file(prefix, "_stats.csv").exists():
        return "no stats"
    header = file(prefix, "_stats.csv").read_bytes().split(b"\n")[0]
    if b"# requests" in header:
        return "0.13"
    if b'"None","Aggregated"' in file(prefix, "_stats.csv").read_bytes():
        return "1.0"
    return "later"


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("prefix", PREFIXES, ids=lambda prefix: prefix.removeprefix(f"{CORPUS}/"))
def test_summary_and_trend_of_a_real_run(prefix, tmp_path, capsys):
    kind, history = _kind(prefix), file(prefix, "_stats_history.csv").exists()
    # ``report`` is summary and trend from one load (the plots drawn once): half the time of two commands
    code, err = reports(capsys, "report" if history else "summary", prefix, "--out", tmp_path)
    if kind == "0.x":
        assert code == 2 and err.count("\n") == 1 and "_requests.csv: Locust 0.x files" in err, err
        return
    if kind == "no stats":
        assert code == 2 and err.count("\n") == 1 and "_stats.csv: no such file" in err, err
        return
    assert code == 0, err
    assert "Traceback" not in err
    summary = (tmp_path / "summary.md").read_text()
    requests, failures = locust_total(file(prefix, "_stats.csv"))
    assert f"{requests:,} requests, {failures:,} failed" in summary
    assert "None Aggregated" not in summary and "| None " not in summary
    assert not re.search(r"\|\s*([+-]?nan%?|-?\d+(\.\d+)?e[+-]\d+)\s*\|", summary)  # no "nan", no 1.2e+04 cells
    assert len(summary) < 40_000  # readable at any endpoint count (one run has 5,307)
    if not history:
        code, err = reports(capsys, "trend", prefix, "--out", tmp_path / "trend")
        assert code == 2 and err.count("\n") == 1 and "_stats_history.csv: no such file" in err, err
        return
    trend = (tmp_path / "trend.md").read_text()
    assert "None Aggregated" not in trend and "## Level shifts" in trend


def test_a_collapse_late_in_a_long_run_is_a_level_shift(tmp_path, capsys):
    """163 minutes at ~9.5 requests/s and 0.4% failures, then in the last half hour ~3.4 requests/s and up to
    30% failures (per ten minutes, from the totals). A monotonic-trend test alone called it stable."""
    prefix = CORPUS / "jiangbm__XFJ__example_1.0_gbk" / "example"
    code, err = reports(capsys, "trend", prefix, "--out", tmp_path)
    assert code == 0, err
    assert "read as GB18030 text (not UTF-8" in err or "read as GBK text (not UTF-8" in err
    shifts = _table_after((tmp_path / "trend.md").read_text(), "## Level shifts")
    rps = [row for row in shifts if row[0] == "Aggregated" and row[1] == "rps"]
    failures = [row for row in shifts if row[0] == "Aggregated" and row[1] == "failure_rate"]
    assert rps and 125 <= float(rps[0][2]) <= 140 and float(rps[0][3]) > 8.5 and float(rps[0][4]) < 5
    assert failures and 125 <= float(failures[0][2]) <= 140 and float(failures[0][4]) > 10


def _table_after(markdown: str, heading: str) -> list[list[str]]:
    section = markdown.split(heading, 1)[1].split("\n## ", 1)[0]
    rows = [line.strip("|").split("|") for line in section.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in row] for row in rows[2:]]


def test_rates_locust_wrote_as_zeros_are_read_from_the_totals(tmp_path, capsys):
    """Every request of this run took 60 s; Locust's Requests/s column is 0 in all 1,371 rows."""
    prefix = CORPUS / "kei-gnu__locust-scenario__example_9k_history" / "example"
    code, err = reports(capsys, "summary", prefix, "--out", tmp_path)
    assert code == 0 and "Requests/s is 0 while Total Request Count rises" in err, err
    from reports.load import load_run

    run = load_run(str(prefix))  # the reports' reading, after the command's
    aggregated = run.history[run.history["endpoint"] == "Aggregated"]
    assert aggregated["rps"].max() > 0.3  # 881 requests in ~23 minutes: 0.64/s on average


def test_exceptions_and_failures_are_in_the_summary(tmp_path, capsys):
    prefix = CORPUS / "ravi3541__Performance-Testing-Using-Locust__report_exceptions" / "report"
    code, _ = reports(capsys, "summary", prefix, "--out", tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    exceptions = _table_after(summary, "## Exceptions")
    with open(file(prefix, "_exceptions.csv"), newline="", encoding="utf-8") as handle:
        counts = sorted((int(row["Count"]) for row in csv.DictReader(handle)), reverse=True)
    assert code == 0 and [int(row[0].replace(",", "")) for row in exceptions] == counts[: len(exceptions)]


def test_many_endpoints_show_the_busiest_and_the_rest_in_a_csv(tmp_path, capsys):
    prefix = CORPUS / "Please-Hug__PleaseHug_stress_test__stress_test_5307_endpoints" / "stress_test"
    code, _ = reports(capsys, "summary", prefix, "--out", tmp_path)
    summary = (tmp_path / "summary.md").read_text()
    rows = _table_after(summary, "## Endpoints")
    assert code == 0 and rows[-2][0] == "other (5,277 endpoints)" and rows[-1][0] == "Aggregated"
    shown = sum(int(row[1].replace(",", "")) for row in rows[:-1])
    assert shown == int(rows[-1][1].replace(",", "")) == locust_total(file(prefix, "_stats.csv"))[0]
    with open(tmp_path / "endpoints.csv", newline="") as handle:
        assert sum(1 for _ in csv.DictReader(handle)) == 5307 + 1


# Broken variants of one real run (32 minutes, Linux "\r\n", a failures file): the ways files break in the wild.
BASE = CORPUS / "erenyildiz23__ConnectFourPro__results_32min" / "results"


@pytest.fixture
def copy(tmp_path) -> Path:
    for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv"):
        shutil.copyfile(file(BASE, suffix), tmp_path / f"run{suffix}")
    return tmp_path / "run"


def rewrite(prefix: Path, suffix: str, change) -> None:
    path = file(prefix, suffix)
    path.write_bytes(change(path.read_bytes()))


def summary_of(capsys, prefix: Path, *options) -> tuple[int, str, str]:
    code, err = reports(capsys, "summary", prefix, "--out", prefix.parent / "out", *options)
    text = (prefix.parent / "out" / "summary.md").read_text() if code == 0 else ""
    return code, err, text


EXPECTED = "{:,} requests, {:,} failed".format(*locust_total(file(BASE, "_stats.csv")))


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda data: data.replace(b"\r\n", b"\r\r\n"), r"'\r\r\n' line ends read as one each"),
        (lambda data: data.replace(b"\r\n", b"\r"), r"'\r' line ends read as line ends"),
        (lambda data: data.rstrip(b"\r\n"), "the last, has all its fields but no line end: read as complete"),
        (lambda data: data + b",,,,,,,,\r\n,,,,,,,,\r\n", "2 rows of bare separators skipped"),
        (lambda data: data.replace(b",", b";").replace(b".", b","), "semicolon-separated (an Excel re-save?)"),
    ],
    ids=["crcrlf", "cr-only", "no-final-newline", "excel-bare-rows", "excel-semicolons"],
)
def test_broken_variants_are_read_and_said(copy, capsys, change, said):
    for suffix in ("_stats.csv", "_stats_history.csv"):
        rewrite(copy, suffix, change)
    code, err, summary = summary_of(capsys, copy)
    assert code == 0 and said in err, err
    assert EXPECTED in summary


def test_a_windows_code_page_in_names_is_read_and_named(copy, capsys):
    for suffix in ("_stats.csv", "_stats_history.csv", "_failures.csv"):
        rewrite(copy, suffix, lambda data: data.replace(b"/leaderboard", "/\u6392\u884c\u699c".encode("gbk")))
    code, err, summary = summary_of(capsys, copy)
    assert code == 0 and "read as GBK text (not UTF-8" in err, err
    assert "/\u6392\u884c\u699c" in summary and EXPECTED in summary


def test_a_bad_value_is_named_by_its_line_as_the_file_counts_lines(copy, capsys):
    def spoil(data: bytes) -> bytes:
        lines = data.replace(b"\r\n", b"\r\r\n").split(b"\r\r\n")
        fields = lines[50].split(b",")
        fields[4] = b"fast"  # Requests/s of data line 51
        lines[50] = b",".join(fields)
        return b"\r\r\n".join(lines)

    rewrite(copy, "_stats_history.csv", spoil)
    code, err, _ = summary_of(capsys, copy)
    assert code == 2 and f"{copy}_stats_history.csv: line 51, column 'Requests/s': 'fast' is not a number" in err


def test_a_cut_last_line_is_refused_then_left_out_with_allow_cut(copy, capsys):
    rewrite(copy, "_stats_history.csv", lambda data: data.replace(b"\r\n", b"\r\r\n")[:-40])
    lines = file(copy, "_stats_history.csv").read_bytes().count(b"\r\r\n") + 1
    code, err, _ = summary_of(capsys, copy)
    assert code == 2 and f"line {lines} is incomplete" in err and "--allow-cut" in err, err
    code, err, _ = summary_of(capsys, copy, "--allow-cut")
    assert code == 0 and f"line {lines} is incomplete" in err


def test_nul_blocks_of_a_crash_are_refused_with_their_line(copy, capsys):
    rewrite(copy, "_stats_history.csv", lambda data: data[:2000] + b"\0" * 512 + data[2000:])
    line = file(copy, "_stats_history.csv").read_bytes()[:2000].count(b"\n") + 1
    code, err, _ = summary_of(capsys, copy)
    assert code == 2 and f"line {line}: not text in any encoding found (byte 0x00)" in err, err

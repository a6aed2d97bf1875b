"""``--report DIR``: a real headless run writes one page whose verdict is the exit code's, with the run's last
figures, that opens offline."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.helpers import free_port
from tests.monitors.test_browser import TOO_SLOW, browser  # noqa: F401  (the fixture, for the screenshot)


def run_with_report(folder: Path, rules: str | None):
    """A 6-s run of writers and subscribers on the embedded server; ``rules`` None: the built-in ones."""
    folder.mkdir(parents=True, exist_ok=True)
    options = []
    if rules is not None:
        (folder / "rules.toml").write_text(rules)
        options = ["--thresholds", str(folder / "rules.toml")]
    locust = [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "locustfile.py")]
    command = [*locust, "--headless", "-u", "4", "-r", "4", "-t", "6s", "--tags", "write", "ws", *options,
               "--report", str(folder / "report")]  # fmt: skip
    finished = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)
    return finished, folder / "report"


@pytest.fixture(scope="module")
def reported(tmp_path_factory):
    """The runs of this module, made once each: "fails" (a critical rule held: exit 3) and "passes"."""
    made: dict = {}

    def run(name: str):
        if name not in made:
            made[name] = run_with_report(tmp_path_factory.mktemp(name), TOO_SLOW if name == "fails" else None)
        return made[name]

    return run


def aggregated_requests(markdown: str) -> int:
    row = next(line for line in markdown.splitlines() if line.startswith("| Aggregated "))
    return int(row.split("|")[2].strip().replace(",", ""))


@pytest.mark.parametrize(("name", "code", "verdict"), [
    ("fails", 3, "Verdict: FAIL (exit code 3: a critical threshold)."),
    ("passes", 0, "Verdict: PASS (exit code 0)."),
])  # fmt: skip
def test_the_report_says_what_the_exit_code_says_with_the_runs_last_figures(reported, name, code, verdict):
    finished, folder = reported(name)
    assert finished.returncode == code, finished.stderr[-3000:]
    markdown = (folder / "report.md").read_text()
    first = markdown.split("\n## ")[0]
    assert verdict in first
    if code == 3:
        assert "- Critical alert: Monitor verdict: FAIL (exit 3)" in first
    # Locust's own final table (printed before the report is made) against the report's
    table_rows = r"^\s+Aggregated\s+(\d+)\s+\d+\(\d+\.\d+%\)\s+\|"  # "# reqs", "# fails(%)" of print_stats
    printed = re.findall(table_rows, finished.stdout + finished.stderr, re.MULTILINE)
    assert aggregated_requests(markdown) == int(printed[-1]) > 0  # the last table: the whole run's
    endpoints = [line for line in markdown.split("## Requests")[1].split("\n## ")[0].splitlines()
                 if line.startswith("| ") and not line.startswith(("| endpoint", "| Aggregated"))]  # fmt: skip
    assert endpoints and all(int(line.split("|")[2].strip().replace(",", "")) > 0 for line in endpoints)
    assert "- Write audit: " in markdown and "- Push delivery: " in markdown and "## Settings of the run" in markdown
    page = (folder / "report.html").read_text()
    assert verdict in page
    # Self-contained: every image inlined, nothing fetched from anywhere
    assert not re.search(r"""(src|href)\s*=\s*['"]?(https?:|//|[^'"\s>]*\.(png|js|css))""", page)
    assert page.count("src='data:image/png;base64,") == 3


def test_the_report_opens_offline_in_a_browser(reported, tmp_path, browser):  # noqa: F811
    finished, folder = reported("fails")
    assert finished.returncode == 3
    browser.get((folder / "report.html").as_uri())
    assert "Verdict: FAIL (exit code 3" in browser.find_element("tag name", "body").text
    loaded = browser.execute_script("return [...document.images].every(image => image.complete && image.naturalWidth)")
    fetched = browser.execute_script("return performance.getEntriesByType('resource').map(entry => entry.name)")
    assert loaded and fetched == []  # the plots are inline, and the page asks the network for nothing
    browser.save_screenshot(str(tmp_path / "report.png"))


def test_a_regression_against_a_named_baseline_is_exit_4_and_the_reports_first_reason(
    locust_command, start_server, tmp_path
):
    """Two 15-s runs of writers (compare needs 10 s of samples; 12-s runs gave 9 or 10) on one address, the
    baseline's server answering 5 ms late, the current one 40 ms late (other hosts are not comparable)."""
    store, port = tmp_path / "baselines", str(free_port())

    def run(server, name: str, *options: str):
        command = locust_command("--headless", "-u", "6", "-r", "6", "-t", "15s", "--tags", "write",
                                 "--host", server.url, "--report", str(tmp_path / name), *options)  # fmt: skip
        return subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120)

    fast = start_server("--inject-latency-ms", "5", "--port", port)
    baseline = run(fast, "before")
    assert baseline.returncode == 0, baseline.stderr[-2000:]
    fast.stop()
    save = [sys.executable, "-m", "reports", "baseline", "save", "main", str(tmp_path / "before" / "run")]
    saved = subprocess.run([*save, "--baselines", str(store)], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert saved.returncode == 0, saved.stderr
    slower = run(start_server("--inject-latency-ms", "40", "--port", port), "after", "--compare-baseline", "main",
                 "--baselines", str(store))  # fmt: skip
    assert slower.returncode == 4, (slower.stdout + slower.stderr)[-3000:]
    first = (tmp_path / "after" / "report.md").read_text().split("\n## ")[0]
    assert "Verdict: FAIL (exit code 4: a regression against the baseline)." in first
    assert "- Regression against baseline main: Aggregated mean" in first
    assert (tmp_path / "after" / "compare" / "compare.html").exists()


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (("--compare-baseline", "main"), "--compare-baseline needs --report DIR"),
        (("--compare-baseline", "nope", "--report", "{dir}/r"), "--compare-baseline: no baseline 'nope'"),
    ],
)
def test_a_baseline_that_cannot_be_used_is_refused_before_any_traffic(locust_command, server, tmp_path, options,
                                                                       message):  # fmt: skip
    options = [option.replace("{dir}", str(tmp_path)) for option in options]
    command = locust_command("--headless", "-u", "2", "-t", "5s", "--host", server.url, "--baselines",
                             str(tmp_path / "none"), *options)  # fmt: skip
    refused = subprocess.run(command, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and message in refused.stderr, refused.stderr[-2000:]
    assert "All users spawned" not in refused.stderr

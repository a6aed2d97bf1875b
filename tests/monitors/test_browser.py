"""The monitor's web UI tabs in real headless Chromium (Debian's ``chromium`` + ``chromium-driver``, Selenium).

With no host (the locustfile starts the embedded server), the browser starts the test from
Locust's own form, sees a critical alert appear in the Alerts tab, acknowledges it there, and
lowers the rule's levels from the Thresholds tab until it resolves. The live charts: every series
of every chart holds points and gains more, the alerts timeline shows the alert, the console stays
free of errors; a screenshot of each tab is kept in the test's temporary folder.
Without Chromium the test is skipped, except in CI (``CI`` set), where it must run.
"""

import os
import shutil

import pytest
import requests

from tests.helpers import wait_for

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Loopback only: Chromium's own background lookups of Google's hosts fail at once.
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1, EXCLUDE localhost",
    "--window-size=1400,1000",
]
# No server serves 90,000 requests a second to three users: critical from the first seconds.
TOO_SLOW = '[[rule]]\nname = "too-slow"\nmetric = "rps"\ndirection = "below"\nwarning = 100000\ncritical = 90000\n'
# One call reads a whole table: React re-renders it every 2 s, so element-by-element reads go stale.
READ_TABLE = """const t = document.querySelector('table'); return t && {
  head: [...t.querySelectorAll('thead th')].map(c => c.textContent.trim()),
  rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()))};"""


@pytest.fixture
def browser(tmp_path):
    if not (os.path.exists(CHROMIUM) and os.path.exists(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail("CI must have Debian's chromium and chromium-driver (.ci/run installs them)")
        pytest.skip("needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # the page's console, for errors
    for argument in [*CHROMIUM_ARGS, f"--user-data-dir={tmp_path / 'chromium'}"]:
        options.add_argument(argument)
    # Giving the driver's path keeps Selenium Manager from looking for one on the network.
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(tmp_path / "chromium", ignore_errors=True)


def test_the_browser_sees_an_alert_acknowledges_it_and_edits_the_rule(browser, web_locust):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    url = web_locust(None, TOO_SLOW)
    wait = WebDriverWait(browser, 30)

    def fill(name: str, value: str):
        field = wait.until(EC.element_to_be_clickable((By.NAME, name)))
        field.send_keys(Keys.CONTROL, "a", Keys.DELETE)  # React-controlled inputs: select and type over
        field.send_keys(value)

    def open_tab(label: str, key: str):
        wait.until(EC.element_to_be_clickable((By.XPATH, f"//button[@role='tab'][normalize-space(.)='{label}']")))
        browser.find_element(By.XPATH, f"//button[@role='tab'][normalize-space(.)='{label}']").click()
        wait.until(lambda driver: f"tab={key}" in driver.current_url)

    def table_row(first_cell: str, column: str, value: str):
        """Wait until the shown table has a row starting with ``first_cell`` whose ``column`` is ``value``."""

        def check(driver):
            table = driver.execute_script(READ_TABLE)
            if not table or column not in table["head"]:
                return None
            index = table["head"].index(column)
            return next((row for row in table["rows"] if row[:1] == [first_cell] and row[index] == value), None)

        return wait.until(check)

    browser.get(url)
    fill("userCount", "3")
    fill("spawnRate", "3")
    browser.find_element(By.CSS_SELECTOR, "form button[type='submit']").click()

    open_tab("Monitor", "ctxload-monitor")
    table_row("verdict so far", "Value", "critical held")

    open_tab("Alerts", "ctxload-alerts")
    alert_id = table_row("1", "State", "firing")[0]
    assert requests.get(f"{url}/ctxload/monitor").json()["alerts"][0]["rule"] == "too-slow"
    browser.find_element(By.XPATH, "//td[normalize-space(.)='acknowledge']").click()
    table_row(alert_id, "State", "acknowledged")

    open_tab("Thresholds", "ctxload-thresholds")
    table_row("too-slow", "Critical", "90000")
    browser.find_element(By.XPATH, "//tr[td[1][normalize-space(.)='too-slow']]/td[normalize-space(.)='edit']").click()
    for level in ("0.02", "0.01"):  # two prompts: the warning level, then the critical level
        prompt = WebDriverWait(browser, 5).until(EC.alert_is_present())
        prompt.send_keys(level)
        prompt.accept()
    table_row("too-slow", "Critical", "0.01")
    wait_for(lambda: requests.get(f"{url}/ctxload/monitor").json()["alerts"][0]["state"] == "resolved", 15)
    open_tab("Alerts", "ctxload-alerts")
    table_row(alert_id, "State", "resolved")


# Each chart's series as Plotly holds them (the div's ``data``): name and how many points are not null.
READ_CHARTS = """return [...document.querySelectorAll('[id^="ctxload-chart-"]')].filter(d => d.data).map(d => ({
  key: d.id, series: d.data.map(t => ({name: t.name, points: t.y.filter(v => v !== null).length}))}));"""
READ_TIMELINE = """const d = document.getElementById('ctxload-alerts-timeline');
return d && d.data && d.data.filter(t => t.type === 'bar').flatMap(t => t.y);"""


def test_the_monitor_tab_charts_every_series_live_and_the_alerts_tab_has_a_timeline(browser, web_locust, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as EC
    from selenium.webdriver.support.ui import WebDriverWait

    # Writers and Socket.IO subscribers (push series), on the embedded server (target series); TOO_SLOW: an alert.
    url = web_locust(None, TOO_SLOW, "--autostart", "-u", "4", "-r", "4", "--tags", "write", "ws")
    wait = WebDriverWait(browser, 45)

    def open_tab(label: str, key: str):
        tab = f"//button[@role='tab'][normalize-space(.)='{label}']"
        wait.until(EC.element_to_be_clickable((By.XPATH, tab)))
        browser.find_element(By.XPATH, tab).click()
        wait.until(lambda driver: f"tab={key}" in driver.current_url)

    def every_series_has(points: int):
        charts = browser.execute_script(READ_CHARTS)
        return len(charts) == 6 and all(s["points"] >= points for chart in charts for s in chart["series"]) and charts

    browser.get(url)
    open_tab("Monitor", "ctxload-monitor")
    first = wait.until(lambda _driver: every_series_has(3))
    names = {chart["key"]: [s["name"] for s in chart["series"]] for chart in first}
    assert names["ctxload-chart-push"] == ["push p50", "push p95", "push p99", "reach"]
    assert names["ctxload-chart-cpu"] == ["target server", "busiest generator"]
    counts = {chart["key"]: chart["series"][0]["points"] for chart in first}
    wait.until(lambda _driver: all(chart["series"][0]["points"] > counts[chart["key"]]  # the charts update
                                   for chart in browser.execute_script(READ_CHARTS)))  # fmt: skip
    assert "critical held" in browser.find_element(By.ID, "ctxload-verdict").text
    browser.save_screenshot(str(tmp_path / "monitor_tab.png"))

    open_tab("Alerts", "ctxload-alerts")
    bars = wait.until(lambda driver: driver.execute_script(READ_TIMELINE))
    assert bars == ["#1 too-slow"]
    browser.save_screenshot(str(tmp_path / "alerts_tab.png"))
    open_tab("Thresholds", "ctxload-thresholds")
    wait.until(lambda driver: not driver.find_element(By.ID, "ctxload-charts").is_displayed())  # Monitor, Alerts only
    browser.save_screenshot(str(tmp_path / "thresholds_tab.png"))

    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    assert all((tmp_path / name).stat().st_size > 10_000 for name in ("monitor_tab.png", "alerts_tab.png"))

"""The monitor on Locust's web UI: extended tabs' data, the JSON routes, and the same auth as the UI."""

import pytest
import requests

from tests.helpers import IMPOSSIBLE_RULE as IMPOSSIBLE
from tests.helpers import wait_for


@pytest.fixture
def web(web_locust, slow_server):
    return web_locust(slow_server.url, IMPOSSIBLE, "--autostart", "-u", "3", "-r", "3")


def test_an_alert_shows_in_the_tabs_and_is_acknowledged_through_the_json_route(web):
    url = web
    status = wait_for(lambda: (s := requests.get(f"{url}/ctxload/monitor").json())["alerts"] and s)
    alert = status["alerts"][0]
    assert (alert["rule"], alert["severity"], alert["state"]) == ("fast", "critical", "firing")
    extended = {table["key"]: table["data"] for table in requests.get(f"{url}/stats/requests").json()["extended_stats"]}
    rows = extended["ctxload-alerts"]
    assert rows[0]["rule"] == "fast" and rows[0]["action"] == "acknowledge"
    figures = {row["figure"]: row["value"] for row in extended["ctxload-monitor"]}
    assert figures["Average response time [avg_response_ms]"].endswith(" ms")
    assert {row["rule"] for row in extended["ctxload-thresholds"]} >= {"fast", "error-rate"}

    reply = requests.post(f"{url}/ctxload/alerts/{alert['id']}/acknowledge")
    assert reply.status_code == 200 and reply.json()["state"] == "acknowledged"
    assert requests.get(f"{url}/ctxload/monitor").json()["alerts"][0]["state"] == "acknowledged"
    assert requests.post(f"{url}/ctxload/alerts/999/acknowledge").status_code == 404


def test_a_threshold_changed_at_runtime_takes_effect_and_bad_levels_are_refused(web):
    url = web
    wait_for(lambda: requests.get(f"{url}/ctxload/monitor").json()["critical_held"])
    bad = requests.post(f"{url}/ctxload/rules/fast", json={"warning": 900, "critical": 800})
    assert bad.status_code == 400 and "warning 900 is above critical 800" in bad.json()["error"]
    assert requests.post(f"{url}/ctxload/rules/nope", json={"critical": 1}).status_code == 404
    assert requests.post(f"{url}/ctxload/rules/fast", json={"speed": 1}).status_code == 400
    reply = requests.post(f"{url}/ctxload/rules/fast", json={"warning": 5000, "critical": 9000})
    assert reply.status_code == 200 and reply.json()["critical"] == 9000
    # The new levels are far above the ~30 ms measured: the alert resolves at the next evaluations.
    wait_for(lambda: requests.get(f"{url}/ctxload/monitor").json()["alerts"][0]["state"] == "resolved")
    history = requests.get(f"{url}/ctxload/monitor/history", params={"minutes": 1}).json()["snapshots"]
    assert history and history[-1]["locust"]["avg_response_ms"] >= 30


def test_the_page_loads_the_tab_script_and_the_routes_sit_behind_the_web_login(web_locust, server):
    url = web_locust(server.url, IMPOSSIBLE)
    assert "/ctxload/static/monitor_tab.js" in requests.get(url).text
    assert requests.get(f"{url}/ctxload/static/monitor_tab.js").status_code == 200
    url = web_locust(server.url, IMPOSSIBLE, "--web-login", locustfiles=("tests/monitors/web_login_locustfile.py",))
    assert requests.get(f"{url}/stats/requests", allow_redirects=False).status_code == 302  # Locust's own
    for path in ("/ctxload/monitor", "/ctxload/monitor/history"):
        assert requests.get(url + path, allow_redirects=False).status_code == 302
    for path in ("/ctxload/alerts/1/acknowledge", "/ctxload/rules/fast"):
        assert requests.post(url + path, json={"critical": 1}, allow_redirects=False).status_code == 302

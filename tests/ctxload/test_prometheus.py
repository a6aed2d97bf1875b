"""GET /ctxload/metrics during a real run, parsed with prometheus_client's own parser."""

import requests
from prometheus_client.parser import text_string_to_metric_families

from tests.helpers import IMPOSSIBLE_RULE, wait_for
from tests.monitors.test_browser import TOO_SLOW


def scrape(url: str) -> dict:
    reply = requests.get(f"{url}/ctxload/metrics", timeout=5)
    assert reply.status_code == 200 and reply.headers["Content-Type"].startswith("text/plain")
    return {family.name: family for family in text_string_to_metric_families(reply.text)}


def samples(family, name: str) -> list:
    return [sample for sample in family.samples if sample.name == name]


def test_a_run_is_scraped_while_it_runs(web_locust):
    # The embedded server; writers and subscribers (pushes); a rule critical from the start and held (an alert).
    url = web_locust(None, TOO_SLOW, "--autostart", "-u", "4", "-r", "4", "--tags", "write", "ws")
    families = wait_for(lambda: (found := scrape(url)) and "ctxload_push_latency_seconds" in found
                        and samples(found["ctxload_alert"], "ctxload_alert") and found, 60)  # fmt: skip
    first = families["ctxload_requests"]
    total = {sample.labels["name"]: sample.value for sample in samples(first, "ctxload_requests_total")}
    assert total["Aggregated"] > 0 and any(name != "Aggregated" for name in total)

    durations = families["ctxload_request_duration_seconds"]
    aggregated = [s for s in durations.samples if s.labels.get("name") == "Aggregated"]
    buckets = [s for s in aggregated if s.name.endswith("_bucket")]
    counts = [s.value for s in buckets]
    assert counts == sorted(counts) and buckets[-1].labels["le"] == "+Inf"
    count = next(s.value for s in aggregated if s.name.endswith("_count"))
    assert buckets[-1].value == count > 0  # every request in the +Inf bucket; the counter may have moved since

    pushes = families["ctxload_push_latency_seconds"]
    push_count = next(s.value for s in pushes.samples if s.name.endswith("_count"))
    delivered = next(s.value for s in families["ctxload_pushes"].samples if s.labels.get("outcome") == "delivered")
    assert push_count == delivered > 0

    alert = samples(families["ctxload_alert"], "ctxload_alert")[0]
    assert (alert.labels["rule"], alert.labels["severity"], alert.labels["state"], alert.value) == (
        "too-slow", "critical", "firing", 1)  # fmt: skip
    assert samples(families["ctxload_verdict_passing"], "ctxload_verdict_passing")[0].value == 0
    assert samples(families["ctxload_generator_cpu_percent"], "ctxload_generator_cpu_percent")
    by_worker = samples(families["ctxload_generator_cpu_percent_by_worker"], "ctxload_generator_cpu_percent_by_worker")
    assert by_worker and by_worker[0].labels["worker"]

    later = wait_for(lambda: (again := scrape(url)) and samples(again["ctxload_requests"], "ctxload_requests_total")
                     and _total(again) > total["Aggregated"] and again, 30)  # fmt: skip
    assert _total(later) > total["Aggregated"]  # a scrape reads the run as it is then

    # Stopped, the figures stand still: the scrape's counts against Locust's own page data (/stats/requests)
    requests.post(f"{url}/stop", timeout=30)
    locust = wait_for(lambda: (page := requests.get(f"{url}/stats/requests").json())["state"] == "stopped" and page, 60)
    final = scrape(url)
    by_name = {row["name"]: row["num_requests"] for row in locust["stats"]}
    scraped = {s.labels["name"]: s.value for s in samples(final["ctxload_requests"], "ctxload_requests_total")}
    assert scraped == by_name and scraped["Aggregated"] > 0


def _total(families) -> float:
    return next(s.value for s in samples(families["ctxload_requests"], "ctxload_requests_total")
                if s.labels["name"] == "Aggregated")  # fmt: skip


def test_the_endpoint_sits_behind_the_web_login(web_locust, server):
    login = ("tests/monitors/web_login_locustfile.py",)
    url = web_locust(server.url, IMPOSSIBLE_RULE, "--web-login", locustfiles=login)
    assert requests.get(f"{url}/ctxload/metrics", allow_redirects=False).status_code == 302

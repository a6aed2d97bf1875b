"""A target that never answers, or refuses from the start: every request fails, clearly, within --request-timeout."""

from tests.helpers import free_port
from users.writer import ContextWriter


def failures_of(environment) -> dict[str, int]:
    return {repr(error.error): error.occurrences for error in environment.stats.errors.values()}


def test_a_silent_target_fails_each_request_after_the_request_timeout(run_locust, silent_host):
    environment = run_locust([ContextWriter], silent_host[0], seconds=3, users=2, request_timeout=0.5, audit_sample=0)
    entry = environment.stats.entries[("POST /ctx", "POST")]
    assert entry.num_requests == entry.num_failures > 0
    # Each failed within the timeout (not Locust's 60 s default): at least a few per user in 3 s.
    assert entry.num_requests >= 4 and entry.max_response_time < 2000
    assert all("timed out" in error.lower() for error in failures_of(environment)), failures_of(environment)


def test_a_target_that_refuses_gives_connection_refused_failures(run_locust):
    environment = run_locust([ContextWriter], f"http://127.0.0.1:{free_port()}", seconds=2, users=2, audit_sample=0)
    entry = environment.stats.entries[("POST /ctx", "POST")]
    assert entry.num_requests == entry.num_failures > 0
    assert all("ConnectionRefused" in error for error in failures_of(environment)), failures_of(environment)

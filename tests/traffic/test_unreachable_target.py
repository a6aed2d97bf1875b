"""A target that never answers, or refuses from the start: every request fails, clearly, within --request-timeout."""

import logging

from tests.helpers import free_port
from traffic.writer import ContextWriter


def failures_of(environment) -> dict[str, int]:
    return {repr(error.error): error.occurrences for error in environment.stats.errors.values()}


def watch_lines(caplog) -> list[str]:
    return [record.getMessage() for record in caplog.records if record.name == "verification.target_watch"]


def test_a_silent_target_fails_each_request_after_the_request_timeout(run_locust, silent_host, caplog):
    caplog.set_level(logging.INFO)
    environment = run_locust([ContextWriter], silent_host[0], seconds=3, users=2, request_timeout=0.5, audit_sample=0)
    entry = environment.stats.entries[("POST /ctx", "POST")]
    assert entry.num_requests == entry.num_failures > 0
    # Each failed within the timeout (not Locust's 60 s default): at least a few per user in 3 s.
    assert entry.num_requests >= 4 and entry.max_response_time < 2000
    assert all("timed out" in error.lower() for error in failures_of(environment)), failures_of(environment)
    # One line says so (not one per request), naming the endpoint, the error and the option that bounds it.
    (line,) = watch_lines(caplog)
    assert f"Target {silent_host[0]} stopped answering: POST /ctx failed with" in line
    assert "a timeout (no answer within --request-timeout 0.5 s)" in line


def test_a_target_that_refuses_gives_connection_refused_failures(run_locust, caplog):
    caplog.set_level(logging.INFO)
    host = f"http://127.0.0.1:{free_port()}"
    environment = run_locust([ContextWriter], host, seconds=2, users=2, audit_sample=0, monitored=True)
    entry = environment.stats.entries[("POST /ctx", "POST")]
    assert entry.num_requests == entry.num_failures > 0
    assert all("ConnectionRefused" in error for error in failures_of(environment)), failures_of(environment)
    started, ended = watch_lines(caplog)
    assert started.startswith(f"Target {host} stopped answering: ") and "ConnectionRefusedError" in started
    assert ended.startswith(f"Target {host} did not answer again before the end")


def test_a_generator_out_of_file_descriptors_says_so_and_does_not_blame_the_target(locust_command, server, tmp_path):
    # With ulimit -n 64, requests fail with OSError(24) before reaching the target; the run used to end
    # "Target ... did not answer again" and "refused the canary" although the target answered everything.
    import resource
    import subprocess

    def low_limit():
        resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

    command = locust_command("--headless", "-u", "80", "-r", "80", "-t", "4s", "--host", server.url)
    result = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=120, preexec_fn=low_limit)
    log = result.stderr
    assert "Too many open files" in log, log[-3000:]
    assert "Requests fail in this generator before reaching the target: OSError(24" in log
    assert "did not answer again" not in log and "stopped answering" not in log
    assert "refused the canary" not in log

"""Each HTTP traffic shape in-process against the real reference server: its rows, no failures."""

import gevent
import pytest
from locust import constant

from tests.helpers import free_port
from traffic.dumper import DumpUser
from traffic.large import LargePayloadUser
from traffic.mixed import MixedUser
from traffic.reader import ContextReader
from traffic.writer import ContextWriter


def fast(user_class):
    """The same class with no pause between tasks, so a few seconds cover every task."""
    return type(user_class.__name__, (user_class,), {"wait_time": constant(0.01)})


EXPECTED_ROWS = {
    ContextReader: {("GET", "GET /ctx"), ("GET", "GET /ctx/all"), ("GET", "GET /ctx/history")},
    ContextWriter: {("POST", "POST /ctx")},
    MixedUser: {("GET", "GET /ctx"), ("POST", "POST /ctx")},
    DumpUser: {("POST", f"POST /ctx/dump [{fmt}]") for fmt in ("json", "csv", "txt", "pretty")}
    | {("GET", "GET /ctx/dump/list"), ("GET", "GET /ctx/dump/[file]")},
    LargePayloadUser: {("POST", "POST /ctx"), ("GET", "GET /ctx")},
}


@pytest.mark.parametrize("user_class", list(EXPECTED_ROWS), ids=lambda cls: cls.__name__)
def test_user_makes_its_rows_without_failures(run_locust, server, user_class):
    environment = run_locust([fast(user_class)], server.url, seconds=3, users=4, large_max_bytes=200_000)
    stats = environment.stats
    for method, name in EXPECTED_ROWS[user_class]:
        assert stats.get(name, method).num_requests > 0, f"no {method} {name}"
    failures = {f"{e.method} {e.name}: {e.error}": e.occurrences for e in stats.errors.values()}
    assert stats.total.num_failures == 0, failures
    assert stats.get("GET /ctx (audit)", "GET").num_requests > 0  # every user writes, so every run audits


def test_reader_reads_missing_keys_and_finds_nothing(run_locust, server):
    environment = run_locust([fast(ContextReader)], server.url, seconds=2, users=2, missing_share=1.0)
    assert environment.stats.get("GET /ctx", "GET").num_requests > 0
    assert environment.stats.get("POST /ctx", "POST").num_requests == 0  # no catalog key was needed
    assert environment.stats.total.num_failures == 0


def test_writes_are_string_keys_in_their_own_namespace(run_locust, server, http):
    run_locust([fast(ContextWriter)], server.url, seconds=1, users=2, key_prefix="nsprobe")
    context = http.get(f"{server.url}/ctx/all").json()["context"]
    written = [key for key in context if key.startswith("nsprobe.") and not key.startswith("nsprobe.canary.")]
    assert written and all(key.startswith("nsprobe.writer.") for key in written)
    assert len([key for key in context if key.startswith("nsprobe.canary.")]) == 1  # the target watch's


def test_tags_run_only_the_users_left_with_tasks(run_locust, server):
    users = [fast(cls) for cls in EXPECTED_ROWS]
    environment = run_locust(users, server.url, seconds=2, users=5, tags=["dump"])
    assert [cls.__name__ for cls in environment.user_classes] == ["DumpUser"]
    names = {name for name, _method in environment.stats.entries}
    assert "GET /ctx/all" not in names and "POST /ctx/dump [json]" in names
    assert environment.stats.total.num_failures == 0


def test_dump_files_stay_bounded(run_locust, start_server, tmp_path):
    server = start_server(dump_dir=tmp_path / "dumps")
    run_locust([fast(DumpUser)], server.url, seconds=3, users=4, dump_keep=3, dump_formats="json,txt")
    files = sorted(path.name for path in (tmp_path / "dumps").iterdir())
    assert files and len(files) <= 3 * 2, files


def test_many_dumpers_never_download_a_dump_another_one_is_rewriting(run_locust, production_like):
    # A server that writes dumps in place, slowly (4-KB pieces 20 ms apart), as production does: with names
    # shared between the users of a process, 107 of 176 downloads read another user's half-written dump.
    url = production_like("--dump-write-delay", "0.02")
    environment = run_locust(
        [fast(DumpUser)], url, seconds=6, users=8, dump_keep=2, payload_bytes=2000, dump_formats="json"
    )
    dumps = environment.stats.get("GET /ctx/dump/[file]", "GET")
    assert dumps.num_requests >= 8 and environment.stats.total.num_failures == 0, environment.stats.errors


def test_read_after_write_mismatch_is_a_failure(run_locust, start_server):
    server = start_server("--drop-write-rate", "1")
    environment = run_locust([fast(LargePayloadUser)], server.url, seconds=2, users=2, large_max_bytes=5000)
    errors = {str(error.error) for error in environment.stats.errors.values()}
    assert "read-after-write mismatch" in errors


def test_a_target_that_comes_up_late_fails_only_the_requests_made_before(run_locust, start_server):
    # The seed writes failed while nothing listened; before, they were never retried and every later dump
    # failed "dump lacks a seeded key".
    port = free_port()
    late = gevent.spawn_later(1.5, start_server, "--port", str(port))
    environment = run_locust([fast(DumpUser)], f"http://127.0.0.1:{port}", seconds=5, users=3, dump_formats="json")
    late.join()
    errors = {str(error.error) for error in environment.stats.errors.values()}
    assert not any("seeded key" in error for error in errors), errors
    assert environment.stats.get("GET /ctx/dump/[file]", "GET").num_requests > 0
    assert environment.stats.get("POST /ctx", "POST").num_failures > 0  # the early seed writes did fail

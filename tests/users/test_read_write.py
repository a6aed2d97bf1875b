"""ReadWriteUser in-process against the real reference server."""

from users.read_write import ReadWriteUser


def test_reads_and_writes_without_failures(run_locust, server):
    environment = run_locust([ReadWriteUser], server.url, seconds=3, users=10)
    stats = environment.stats
    assert stats.get("POST /ctx", "POST").num_requests > 0
    assert stats.get("GET /ctx", "GET").num_requests > 0
    assert stats.total.num_failures == 0


def test_lost_writes_are_read_after_write_failures(run_locust, start_server):
    server = start_server("--drop-write-rate", "1")
    environment = run_locust([ReadWriteUser], server.url, seconds=3, users=10)
    reads = environment.stats.get("GET /ctx", "GET")
    assert reads.num_failures > 0
    assert any("read-after-write mismatch" in str(error.error) for error in environment.stats.errors.values())

"""Response checks against a raw server that misbehaves for real (verification.checks)."""

import socket

import gevent
import pytest

from traffic.reader import ContextReader
from traffic.writer import ContextWriter


@pytest.fixture
def cutting_host():
    """A loopback server that answers every request with a Content-Length of 100 and 12 bytes, then closes."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)

    def answer(connection):
        with connection:
            connection.recv(65536)
            head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
            connection.sendall(head + b'{"key": "a",')

    def accept():
        while True:
            gevent.spawn(answer, server.accept()[0])

    greenlet = gevent.spawn(accept)
    yield f"http://127.0.0.1:{server.getsockname()[1]}"
    greenlet.kill()
    server.close()


@pytest.mark.parametrize("user_class", [ContextWriter, ContextReader])
def test_a_body_cut_mid_way_is_reported_as_cut_not_as_bad_json(run_locust, cutting_host, user_class):
    environment = run_locust([user_class], cutting_host, seconds=1.5, users=2, audit_sample=0)
    errors = {str(error.error) for error in environment.stats.errors.values()}
    assert environment.stats.total.num_failures > 0
    assert not any("not JSON" in error for error in errors), errors
    assert all("cut short" in error for error in errors), errors

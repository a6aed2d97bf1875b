"""The reference server's limits (refserver.limits), each produced for real with raw sockets on 127.0.0.1."""

import contextlib
import json
import resource
import socket

import gevent
import pytest
import requests
import websocket

from tests.helpers import wait_for

IDLE, SLOW = 2000, 200


def _port(server) -> int:
    return int(server.url.rsplit(":", 1)[1])


def _closed_by_server(sock: socket.socket, seconds: float) -> bool:
    """True once the server closed ``sock`` (EOF or reset) within ``seconds``; what it sent first is read away."""
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False
    return True


@pytest.fixture
def open_files():
    """Room for 2,400 sockets in this process (CI's soft limit may be 1024)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = IDLE + SLOW + 200
    if hard != resource.RLIM_INFINITY and hard < wanted:
        pytest.skip(f"the hard open-file limit {hard} is below the {wanted} sockets this test opens")
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    yield
    resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_a_client_is_served_while_2000_idle_and_200_slow_header_connections_are_open(start_server, open_files):
    server = start_server("--header-timeout", "4")
    address = ("127.0.0.1", _port(server))
    idle = [socket.create_connection(address) for _ in range(IDLE)]
    slow = [socket.create_connection(address) for _ in range(SLOW)]
    for sock in slow:
        sock.sendall(b"GET /ctx/all HTTP/1.1\r\nHost: x\r\n")

    def trickle():  # slowloris: one header byte at a time, never the blank line that ends them
        for _ in range(40):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b"a")
            gevent.sleep(0.25)

    trickler = gevent.spawn(trickle)
    try:
        gevent.sleep(0.5)
        answer = requests.get(f"{server.url}/ctx/all", timeout=10)
        assert answer.status_code == 200 and answer.json()["status"] == "success"
        # Beyond --header-timeout both kinds are closed by the server, which keeps serving.
        assert all(_closed_by_server(sock, 10) for sock in slow[:20] + idle[:20])
        assert requests.get(f"{server.url}/ctx/all", timeout=10).status_code == 200
    finally:
        trickler.kill()
        for sock in idle + slow:
            sock.close()


def test_headers_over_the_limit_get_431_and_the_connection_is_closed(start_server):
    server = start_server("--max-header-bytes", "4096")
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        sock.sendall(b"GET /ctx/all HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 200_000 + b"\r\n\r\n")
        assert sock.recv(100).startswith(b"HTTP/1.1 431 ")
        assert _closed_by_server(sock, 5)
    assert requests.get(f"{server.url}/ctx/all", headers={"X-Fine": "a" * 3000}, timeout=5).status_code == 200


def test_a_large_body_sent_with_its_headers_in_one_piece_is_not_counted_as_headers(start_server, key):
    server = start_server("--max-header-bytes", "4096")
    body = json.dumps({"key": key, "value": "v" * 50_000}).encode()
    head = f"POST /ctx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        sock.sendall(head.encode() + body)  # as FastHttpUser sends: one write
        assert sock.recv(100).startswith(b"HTTP/1.1 200 ")


def test_a_body_that_stalls_is_closed_after_the_body_timeout(start_server):
    server = start_server("--body-timeout", "1")
    with socket.create_connection(("127.0.0.1", _port(server))) as sock:
        head = b"POST /ctx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n"
        sock.sendall(head + b'{"key": ')
        assert _closed_by_server(sock, 10)


def test_connections_over_the_limit_get_503(start_server):
    server = start_server("--max-connections", "20")
    address = ("127.0.0.1", _port(server))
    held = [socket.create_connection(address) for _ in range(20)]
    try:
        gevent.sleep(0.3)
        with socket.create_connection(address) as extra:
            extra.settimeout(5)
            assert extra.recv(100).startswith(b"HTTP/1.1 503 ")
        held.pop().close()
        wait_for(lambda: requests.get(f"{server.url}/ctx/all", timeout=5).status_code == 200)
    finally:
        for sock in held:
            sock.close()


def test_a_websocket_client_that_stops_reading_is_disconnected(start_server, key):
    server = start_server("--max-send-buffer", "65536")
    ws_url = server.url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    client = websocket.create_connection(ws_url, timeout=5)
    client.send("40")  # Socket.IO connect; from here on it reads nothing
    value = "v" * 500_000
    with requests.Session() as http:  # 30 MB of pushes: more than loopback's socket buffers hold
        for index in range(60):
            assert http.post(f"{server.url}/ctx", json={"key": f"{key}.{index}", "value": value}).status_code == 200
    assert _closed_by_server(client.sock, 10)
    client.sock.close()
    assert requests.get(f"{server.url}/ctx/all", timeout=5).status_code == 200

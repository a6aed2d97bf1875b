"""Socket.IO conformance with a real python-socketio client over the WebSocket transport."""

import json
import threading
import time

import pytest
import requests
import socketio
import websocket


class Recorder:
    """A connected python-socketio client that records every event it receives."""

    def __init__(self, url: str, transport: str = "websocket"):
        self.events: list[tuple[str, object]] = []
        self.arrived = threading.Condition()
        self.client = socketio.Client(reconnection=False)
        self.client.on("*", self._record)
        self.client.connect(url, transports=[transport], wait_timeout=5)

    def _record(self, event, *args):
        with self.arrived:
            self.events.append((event, args[0] if args else None))
            self.arrived.notify_all()

    def payloads(self, event: str) -> list:
        return [data for name, data in self.events if name == event]

    def wait_for(self, event: str, count: int = 1, timeout: float = 5.0) -> list:
        deadline = time.monotonic() + timeout
        with self.arrived:
            while len(self.payloads(event)) < count and time.monotonic() < deadline:
                self.arrived.wait(0.05)
        return self.payloads(event)

    def close(self):
        self.client.disconnect()


@pytest.fixture
def connect(server):
    clients: list[Recorder] = []

    def make(transport: str = "websocket", url: str | None = None) -> Recorder:
        recorder = Recorder(url or server.url, transport)
        clients.append(recorder)
        recorder.wait_for("context_snapshot")
        return recorder

    yield make
    for recorder in clients:
        recorder.close()


def test_connect_sends_snapshot_and_stats(http, server, connect, key):
    http.post(f"{server.url}/ctx", json={"key": key, "value": "seen"})
    client = connect()
    snapshot = client.wait_for("context_snapshot")[0]
    assert snapshot["context"][key] == "seen" and snapshot["client_id"] == client.client.get_sid()
    assert snapshot["timestamp"]
    assert client.wait_for("client_stats")[0]["count"] >= 1


def test_client_stats_on_connect_and_disconnect(connect):
    first = connect()
    before = first.wait_for("client_stats")[-1]["count"]
    second = connect()
    assert first.wait_for("client_stats", 2)[-1]["count"] == before + 1
    second.close()
    assert first.wait_for("client_stats", 3)[-1]["count"] == before


def test_register(connect):
    client = connect()
    client.client.emit("client_register", {"type": "loadtest", "name": "u1"})
    reply = client.wait_for("registration_confirmed")[0]
    assert reply == {"client_id": client.client.get_sid(), "type": "loadtest", "name": "u1", "status": "registered"}


def test_context_set_routing(connect, http, server, key):
    writer, other = connect(), connect()
    writer.client.emit("context_set", {"key": key, "value": {"n": 1}, "who": "u1"})
    assert writer.wait_for("context_set_confirmed")[0] == {"key": key, "value": {"n": 1}, "status": "success"}
    update = other.wait_for("context_updated")[0]
    assert update["key"] == key and update["value"] == {"n": 1} and update["who"] == "u1" and update["timestamp"]
    time.sleep(0.3)
    assert writer.payloads("context_updated") == []  # the sender does not hear its own write
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == {"n": 1}


def test_context_set_who_defaults_to_websocket_client_sid(connect, http, server, key):
    writer = connect()
    writer.client.emit("context_set", {"key": key, "value": 1})
    writer.wait_for("context_set_confirmed")
    history = http.get(f"{server.url}/ctx/history", params={"key": key}).json()["history"]
    assert history[0]["who"] == f"websocket_client_{writer.client.get_sid()}"


def test_http_write_is_pushed_to_every_client(connect, http, server, key):
    clients = [connect() for _ in range(3)]
    http.post(f"{server.url}/ctx", json={"key": key, "value": 7, "who": "web"})
    for client in clients:
        updates = [u for u in client.wait_for("context_updated") if u["key"] == key]
        assert updates and updates[0]["value"] == 7 and updates[0]["who"] == "web"


def test_dump_is_pushed_to_every_client(connect, http, server):
    client = connect()
    http.post(f"{server.url}/ctx/dump", json={"format": "txt", "filename": "pushed", "who": "ops"})
    pushed = client.wait_for("context_dumped")[0]
    assert pushed["filename"] == "pushed.txt" and pushed["format"] == "txt" and pushed["who"] == "ops"
    assert isinstance(pushed["key_count"], int) and pushed["timestamp"]


@pytest.mark.parametrize("payload", [{"key": 1, "value": 1}, {"key": "k"}, {"key": "", "value": 1}, "text", [1]])
def test_invalid_context_set_gets_error(connect, payload):
    client = connect()
    client.client.emit("context_set", payload)
    assert isinstance(client.wait_for("error")[0]["message"], str)
    assert client.payloads("context_set_confirmed") == []


@pytest.mark.parametrize("event, args", [("context_set", ()), ("client_register", ()), ("no_such_event", ({"a": 1},))])
def test_missing_payload_or_unknown_event_gets_no_reply_but_an_empty_ack(connect, event, args):
    client = connect()
    seen = len(client.events)
    assert client.client.call(event, *args, timeout=5) is None  # the empty ack arrived
    time.sleep(0.3)
    assert [name for name, _ in client.events[seen:] if name != "client_stats"] == []


def test_polling_transport_works(connect, http, start_server, key):
    # A 1-s ping interval: closing a polling client waits for its pending long-poll (25 s at the default).
    quick = start_server("--ping-interval", "1", "--ping-timeout", "1")
    client = connect(transport="polling", url=quick.url)
    http.post(f"{quick.url}/ctx", json={"key": key, "value": "polled"})
    assert any(u["key"] == key for u in client.wait_for("context_updated"))


@pytest.mark.parametrize("query", ["EIO=3&transport=polling", "transport=polling", "EIO=3&transport=websocket"])
def test_old_or_missing_engineio_version_is_400(server, query):
    assert requests.get(f"{server.url}/socket.io/?{query}").status_code == 400


def test_raw_websocket_session_matches_the_contract(server):
    """Pure WebSocket, no polling step, as in the contract's example session."""
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=5
    )
    try:
        opening = ws.recv()
        assert opening.startswith("0")
        handshake = json.loads(opening[1:])
        assert handshake["pingInterval"] == 25000 and handshake["pingTimeout"] == 20000
        assert handshake["maxPayload"] == 1_000_000 and handshake["upgrades"] == []
        ws.send("40")
        frames = [ws.recv() for _ in range(3)]
        names = sorted(f[:20] for f in frames)
        assert any(f.startswith('40{"sid"') for f in frames), names
        assert any(f.startswith('42["context_snapshot"') for f in frames), names
        assert any(f.startswith('42["client_stats"') for f in frames), names
    finally:
        ws.close()


def test_message_over_max_payload_closes_the_socket(connect):
    victim = connect()
    victim.client.emit("context_set", {"key": "big", "value": "x" * 1_100_000})
    deadline = time.monotonic() + 5
    while victim.client.connected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not victim.client.connected


@pytest.mark.parametrize("who", [5, {"a": 1}, ["x"], False, ""])
def test_context_set_who_is_echoed_exactly(connect, http, server, key, who):
    writer, other = connect(), connect()
    writer.client.emit("context_set", {"key": key, "value": 1, "who": who})
    assert writer.wait_for("context_set_confirmed")
    update = other.wait_for("context_updated")[0]
    assert update["who"] == who and type(update["who"]) is type(who)
    history = http.get(f"{server.url}/ctx/history", params={"key": key}).json()["history"]
    assert history[0]["who"] == who and type(history[0]["who"]) is type(who)


def test_context_set_null_who_gets_the_default(connect, http, server, key):
    writer = connect()
    writer.client.emit("context_set", {"key": key, "value": 1, "who": None})
    writer.wait_for("context_set_confirmed")
    history = http.get(f"{server.url}/ctx/history", params={"key": key}).json()["history"]
    assert history[0]["who"] == f"websocket_client_{writer.client.get_sid()}"


def test_extra_arguments_are_ignored_and_the_ack_arrives(connect, http, server, key):
    client = connect()
    assert client.client.call("context_set", ({"key": key, "value": "two args"}, "extra"), timeout=5) is None
    assert client.wait_for("context_set_confirmed")[0] == {"key": key, "value": "two args", "status": "success"}
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == "two args"
    assert client.client.call("client_register", ({"type": "t", "name": "n"}, 2, 3), timeout=5) is None
    assert client.wait_for("registration_confirmed")[0]["name"] == "n"


@pytest.mark.parametrize("payload", ["text", [1], 7])
def test_non_object_payload_with_ack_gets_the_ack_and_an_error(connect, payload):
    client = connect()
    assert client.client.call("context_set", payload, timeout=5) is None
    assert isinstance(client.wait_for("error")[0]["message"], str)
    assert client.payloads("context_set_confirmed") == []


def test_client_stats_are_coalesced_but_always_end_on_the_latest_count(start_server):
    server = start_server("--client-stats-interval", "0.5")
    watcher = Recorder(server.url)
    try:
        watcher.wait_for("context_snapshot")
        before = watcher.wait_for("client_stats")[-1]["count"]
        burst = [Recorder(server.url) for _ in range(8)]
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and watcher.payloads("client_stats")[-1]["count"] != before + 8:
            time.sleep(0.05)
        counts = [stats["count"] for stats in watcher.payloads("client_stats")]
        assert counts[-1] == before + 8
        assert len(counts) - 1 < 8  # fewer announcements than connects
        for recorder in burst:
            recorder.close()
    finally:
        watcher.close()


def test_client_stats_interval_zero_announces_every_change(start_server):
    server = start_server("--client-stats-interval", "0")
    watcher = Recorder(server.url)
    others = []
    try:
        assert watcher.wait_for("client_stats")[-1]["count"] == 1
        for count in (2, 3):
            others.append(Recorder(server.url))
            assert watcher.wait_for("client_stats", count)[-1]["count"] == count  # one announcement per connect
    finally:
        for recorder in [watcher, *others]:
            recorder.close()

"""Each fault-injection option measurably does what it says, and says what it did at /_faults."""

import time

from tests.refserver.test_socketio import Recorder


def faults(http, server) -> dict:
    return http.get(f"{server.url}/_faults").json()


def test_no_faults_by_default(http, server, key):
    for _ in range(20):
        assert http.post(f"{server.url}/ctx", json={"key": key, "value": 1}).status_code == 200
    assert {k: v for k, v in faults(http, server).items() if k != "status"} == {
        "delayed": 0,
        "errors": 0,
        "dropped_writes": 0,
        "dropped_pushes": 0,
    }


def test_injected_latency_delays_every_rest_response(http, start_server, key):
    server = start_server("--inject-latency-ms", "150:50")
    elapsed = []
    for _ in range(10):
        started = time.perf_counter()
        assert http.get(f"{server.url}/ctx", params={"key": key}).status_code == 200
        elapsed.append(time.perf_counter() - started)
    assert min(elapsed) >= 0.100  # 150 ms minus at most 50 ms of jitter
    assert faults(http, server)["delayed"] == 10


def test_injected_latency_delays_socketio_replies(start_server, key):
    server = start_server("--inject-latency-ms", "200")
    client = Recorder(server.url)
    try:
        client.wait_for("context_snapshot")
        started = time.perf_counter()
        client.client.emit("context_set", {"key": key, "value": 1})
        assert client.wait_for("context_set_confirmed")
        assert time.perf_counter() - started >= 0.2
    finally:
        client.close()


def test_error_rate_one_answers_every_request_500_and_stores_nothing(http, start_server, key):
    server = start_server("--error-rate", "1")
    for _ in range(10):
        response = http.post(f"{server.url}/ctx", json={"key": key, "value": 1})
        assert response.status_code == 500 and response.json()["status"] == "error"
    assert faults(http, server)["errors"] == 10
    server_values = http.get(f"{server.url}/_faults")  # /_faults itself is never faulted
    assert server_values.status_code == 200


def test_error_rate_is_a_probability(http, start_server, key):
    server = start_server("--error-rate", "0.3", "--fault-seed", "7")
    statuses = [http.get(f"{server.url}/ctx", params={"key": key}).status_code for _ in range(300)]
    errors = statuses.count(500)
    assert set(statuses) == {200, 500}
    assert 45 <= errors <= 135  # 0.3 * 300 = 90; far outside 5 sigma either way
    assert faults(http, server)["errors"] == errors


def test_drop_write_rate_acknowledges_but_does_not_store(http, start_server, key):
    server = start_server("--drop-write-rate", "0.5", "--fault-seed", "3")
    keys = [f"{key}.{n}" for n in range(200)]
    for each in keys:
        assert http.post(f"{server.url}/ctx", json={"key": each, "value": "v"}).status_code == 200
    lost = sum(http.get(f"{server.url}/ctx", params={"key": each}).json()["value"] is None for each in keys)
    assert 50 <= lost <= 150
    assert faults(http, server)["dropped_writes"] == lost


def test_drop_push_rate_skips_pushes_and_counts_them(http, start_server, key):
    server = start_server("--drop-push-rate", "0.4", "--fault-seed", "11")
    subscribers = [Recorder(server.url) for _ in range(2)]
    try:
        for subscriber in subscribers:
            subscriber.wait_for("context_snapshot")
        writes = 100
        for n in range(writes):
            assert http.post(f"{server.url}/ctx", json={"key": f"{key}.{n}", "value": n}).status_code == 200
        expected = writes * len(subscribers)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            delivered = sum(len(s.payloads("context_updated")) for s in subscribers)
            dropped = faults(http, server)["dropped_pushes"]
            if delivered + dropped >= expected:
                break
            time.sleep(0.1)
        assert delivered + dropped == expected
        assert 40 <= dropped <= 120  # 0.4 * 200 = 80
    finally:
        for subscriber in subscribers:
            subscriber.close()

"""The production server's flaws, fixed in the reference server (each still keeps the contract)."""

import pytest


def write(http, server, body):
    return http.post(f"{server.url}/ctx", json=body)


@pytest.mark.parametrize("bad_key", [1, 1.5, ["a"], {"a": 1}, True])
def test_non_string_key_is_400_and_the_store_stays_healthy(http, server, bad_key):
    response = write(http, server, {"key": bad_key, "value": 1})
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert http.get(f"{server.url}/ctx/all").status_code == 200
    for fmt in ("csv", "txt", "pretty"):
        assert http.post(f"{server.url}/ctx/dump", json={"format": fmt}).status_code == 200


@pytest.mark.parametrize("body", ["[1, 2]", '"text"', "null", "3"])
def test_top_level_non_object_is_400_not_500(http, server, body):
    response = http.post(f"{server.url}/ctx", data=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.json()["status"] == "error"


def test_body_over_max_body_is_413(http, start_server, key):
    server = start_server("--max-body", "2000")
    small = http.post(f"{server.url}/ctx", json={"key": key, "value": "x" * 1000})
    assert small.status_code == 200
    big = http.post(f"{server.url}/ctx", json={"key": key, "value": "x" * 3000})
    assert big.status_code == 413 and big.json()["status"] == "error"
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == "x" * 1000


def test_chunked_body_over_max_body_is_413(http, start_server, key):
    server = start_server("--max-body", "2000")

    def chunks():
        yield b'{"key": "%s", "value": "' % key.encode()
        for _ in range(10):
            yield b"x" * 500
        yield b'"}'

    response = http.post(f"{server.url}/ctx", data=chunks(), headers={"Content-Type": "application/json"})
    assert response.status_code == 413


def test_default_max_body_is_one_megabyte(http, server, key):
    assert write(http, server, {"key": key, "value": "x" * 900_000}).status_code == 200
    assert write(http, server, {"key": key, "value": "x" * 1_100_000}).status_code == 413


def test_history_is_bounded_but_counts_everything(http, start_server, key):
    server = start_server("--history-limit", "5")
    for n in range(12):
        assert write(http, server, {"key": key, "value": n}).status_code == 200
    body = http.get(f"{server.url}/ctx/history").json()
    assert [entry["after"] for entry in body["history"]] == [7, 8, 9, 10, 11]
    assert body["total_entries"] == 12 and body["filtered_entries"] == 5
    assert http.get(f"{server.url}/ctx/all").json()["history_count"] == 12

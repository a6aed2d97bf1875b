"""REST conformance of the reference server against shared/context-server-api.md, over real HTTP."""

import time
from http.client import HTTPConnection

import pytest

from tests.refserver.test_socketio import Recorder

JSON_ERROR = {"status": "error"}


def post(http, server, body, **kwargs):
    return http.post(f"{server.url}/ctx", json=body, **kwargs)


def assert_json_error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == "error" and isinstance(body["error"], str) and body["error"]


def test_unknown_key_reads_as_null(http, server, key):
    response = http.get(f"{server.url}/ctx", params={"key": key})
    assert response.status_code == 200
    body = response.json()
    assert body["key"] == key and body["value"] is None and body["status"] == "success"
    assert body["timestamp"]


@pytest.mark.parametrize("query", ["", "?key=", "?other=1"])
def test_read_without_key_is_400(http, server, query):
    assert_json_error(http.get(f"{server.url}/ctx{query}"), 400)


def test_write_then_read(http, server, key):
    response = post(http, server, {"key": key, "value": {"n": 1}, "who": "tester"})
    assert response.status_code == 200
    body = response.json()
    assert body == {"status": "success", "key": key, "value": {"n": 1}, "who": "tester", "timestamp": body["timestamp"]}
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == {"n": 1}


def test_who_defaults_to_api_client(http, server, key):
    assert post(http, server, {"key": key, "value": 1}).json()["who"] == "api_client"


@pytest.mark.parametrize("value", [False, 0, "", [], {}, "text", 1.5, [1, {"a": None}]])
def test_falsy_and_nested_values_are_accepted(http, server, key, value):
    assert post(http, server, {"key": key, "value": value}).status_code == 200
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == value


def test_integer_wider_than_64_bits_round_trips(http, server, key):
    big = 2**70 + 1
    response = http.post(
        f"{server.url}/ctx", data=f'{{"key":"{key}","value":{big}}}', headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 200
    assert http.get(f"{server.url}/ctx", params={"key": key}).json()["value"] == big


@pytest.mark.parametrize(
    "body",
    [
        {"value": 1},  # key missing
        {"key": "", "value": 1},
        {"key": 0, "value": 1},
        {"key": False, "value": 1},
        {"key": "k"},  # value missing
        {"key": "k", "value": None},
    ],
)
def test_invalid_writes_are_400(http, server, body):
    assert_json_error(post(http, server, body), 400)


@pytest.mark.parametrize(
    "data, content_type",
    [
        ('{"key": "k", "value": 1}', "text/plain"),
        ("key=k&value=1", "application/x-www-form-urlencoded"),
        ('{"key": "k", "value": 1', "application/json"),  # malformed
        ("", "application/json"),  # empty
        ("NaN", "application/json"),
    ],
)
def test_bad_bodies_are_400(http, server, data, content_type):
    assert_json_error(http.post(f"{server.url}/ctx", data=data, headers={"Content-Type": content_type}), 400)


def test_json_suffix_content_type_is_json(http, server, key):
    response = http.post(
        f"{server.url}/ctx",
        data=f'{{"key":"{key}","value":1}}',
        headers={"Content-Type": "application/vnd.ctx+json; charset=utf-8"},
    )
    assert response.status_code == 200


def test_read_all(http, server, key):
    post(http, server, {"key": key, "value": "v"})
    body = http.get(f"{server.url}/ctx/all").json()
    assert body["status"] == "success" and body["context"][key] == "v"
    assert isinstance(body["history_count"], int) and body["history_count"] >= 1
    assert isinstance(body["connected_clients"], int) and body["timestamp"]


def test_history_records_only_real_changes(http, server, key):
    for value in (1, 1, 2):
        assert post(http, server, {"key": key, "value": value, "who": "h"}).status_code == 200
    body = http.get(f"{server.url}/ctx/history", params={"key": key}).json()
    assert body["status"] == "success"
    assert [(e["before"], e["after"], e["who"]) for e in body["history"]] == [(None, 1, "h"), (1, 2, "h")]
    assert body["filtered_entries"] == 2 and body["total_entries"] >= 2
    assert all(set(e) == {"timestamp", "key", "before", "after", "who"} for e in body["history"])


def test_history_filters_are_exact_and_anded(http, server, key):
    post(http, server, {"key": key, "value": 1, "who": "alice"})
    post(http, server, {"key": key, "value": 2, "who": "bob"})
    post(http, server, {"key": key + "x", "value": 1, "who": "alice"})
    url = f"{server.url}/ctx/history"
    assert len(http.get(url, params={"key": key}).json()["history"]) == 2
    assert [e["after"] for e in http.get(url, params={"key": key, "who": "bob"}).json()["history"]] == [2]
    assert http.get(url, params={"key": key[:-1]}).json()["history"] == []
    everything = http.get(url).json()
    assert everything["filtered_entries"] == len(everything["history"]) >= 3


def test_dashboard_is_html(http, server):
    response = http.get(f"{server.url}/")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")


@pytest.mark.parametrize(
    "method, path, status",
    [
        ("DELETE", "/ctx", 405),
        ("PUT", "/ctx", 405),
        ("POST", "/ctx/all", 405),
        ("GET", "/ctx/dump", 405),
        ("GET", "/nowhere", 404),
    ],
)
def test_routing_errors_are_json(http, server, method, path, status):
    assert_json_error(http.request(method, f"{server.url}{path}"), status)


def test_keep_alive_is_on(server, key):
    host, port = server.url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=5)
    try:
        connection.connect()
        first_socket = connection.sock
        for _ in range(5):
            connection.request("GET", f"/ctx?key={key}")
            response = connection.getresponse()
            response.read()
            assert response.status == 200 and not response.will_close
        assert connection.sock is first_socket
    finally:
        connection.close()


# Repeated query parameters: Flask/Werkzeug reads the first value, so the reference server does too.


@pytest.mark.parametrize("query", ["?key=&key=a", "?key=&key="])
def test_repeated_key_uses_the_first_value_empty_is_400(http, server, query):
    assert_json_error(http.get(f"{server.url}/ctx{query}"), 400)


def test_repeated_key_reads_the_first(http, server, key):
    post(http, server, {"key": f"{key}.a", "value": "first"})
    post(http, server, {"key": f"{key}.b", "value": "last"})
    body = http.get(f"{server.url}/ctx?key={key}.a&key={key}.b").json()
    assert body["key"] == f"{key}.a" and body["value"] == "first"


def test_repeated_history_filters_use_the_first_value(http, server, key):
    post(http, server, {"key": key, "value": 1, "who": "alice"})
    post(http, server, {"key": key, "value": 2, "who": "bob"})
    url = f"{server.url}/ctx/history"
    assert [e["after"] for e in http.get(f"{url}?key={key}&key=other").json()["history"]] == [1, 2]
    assert [e["after"] for e in http.get(f"{url}?key={key}&who=alice&who=bob").json()["history"]] == [1]


# Routing as Flask does it: no slash redirects, Allow on 405, OPTIONS answered.


@pytest.mark.parametrize("method, path", [("GET", "/ctx/all/"), ("POST", "/ctx/"), ("GET", "/ctx/dump/list/")])
def test_trailing_slash_is_404_not_a_redirect(http, server, method, path):
    assert_json_error(http.request(method, f"{server.url}{path}", allow_redirects=False), 404)


@pytest.mark.parametrize(
    "method, path, allowed",
    [
        ("DELETE", "/ctx", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("PUT", "/ctx", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("POST", "/ctx/all", {"GET", "HEAD", "OPTIONS"}),
        ("GET", "/ctx/dump", {"POST", "OPTIONS"}),
    ],
)
def test_405_carries_allow_listing_every_method_of_the_path(http, server, method, path, allowed):
    response = http.request(method, f"{server.url}{path}")
    assert_json_error(response, 405)
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


@pytest.mark.parametrize(
    "path, allowed",
    [
        ("/ctx", {"GET", "HEAD", "POST", "OPTIONS"}),
        ("/ctx/all", {"GET", "HEAD", "OPTIONS"}),
        ("/ctx/dump", {"POST", "OPTIONS"}),
        ("/ctx/dump/anything.json", {"GET", "HEAD", "OPTIONS"}),
        ("/", {"GET", "HEAD", "OPTIONS"}),
    ],
)
def test_options_on_an_existing_route_is_200_with_allow(http, server, path, allowed):
    response = http.options(f"{server.url}{path}")
    assert response.status_code == 200
    assert {m.strip() for m in response.headers["Allow"].split(",")} == allowed


def test_options_on_an_unknown_path_is_404(http, server):
    assert_json_error(http.options(f"{server.url}/nowhere"), 404)


# `who` is echoed exactly as sent; only a missing or null `who` gets the default.


@pytest.mark.parametrize("who", [5, {"a": 1}, ["x", 2], True, 0, "", 1.5])
def test_who_is_echoed_exactly(http, server, key, who):
    subscriber = Recorder(server.url)
    try:
        subscriber.wait_for("context_snapshot")
        response = post(http, server, {"key": key, "value": 1, "who": who})
        assert response.status_code == 200 and response.json()["who"] == who
        history = http.get(f"{server.url}/ctx/history", params={"key": key}).json()["history"]
        assert history[0]["who"] == who and type(history[0]["who"]) is type(who)
        updates = [u for u in subscriber.wait_for("context_updated") if u["key"] == key]
        assert updates and updates[0]["who"] == who and type(updates[0]["who"]) is type(who)
    finally:
        subscriber.close()


def test_null_who_gets_the_default(http, server, key):
    assert post(http, server, {"key": key, "value": 1, "who": None}).json()["who"] == "api_client"


def test_idle_keep_alive_connection_survives_a_pause(server, key):
    """Users pause between tasks; the server must not close their idle connection under them."""
    host, port = server.url.removeprefix("http://").split(":")
    connection = HTTPConnection(host, int(port), timeout=5)
    try:
        connection.request("GET", f"/ctx?key={key}")
        connection.getresponse().read()
        first_socket = connection.sock
        time.sleep(6)  # longer than uvicorn's default 5 s idle timeout
        connection.request("GET", f"/ctx?key={key}")
        assert connection.getresponse().status == 200
        assert connection.sock is first_socket
    finally:
        connection.close()

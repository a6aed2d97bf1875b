"""Pure checks of refserver.validation and refserver.store: no server needed."""

import pytest

from refserver.store import ContextStore
from refserver.validation import (
    MAX_DEPTH,
    ValidationError,
    check_dump_filename,
    check_dump_request,
    check_write,
    nesting_depth_exceeds,
)


@pytest.mark.parametrize(
    "payload",
    [
        [],
        "s",
        None,
        {"value": 1},
        {"key": 3, "value": 1},
        {"key": "", "value": 1},
        {"key": ["a"], "value": 1},
        {"key": "k"},
        {"key": "k", "value": None},
    ],
)
def test_check_write_refuses(payload):
    with pytest.raises(ValidationError) as caught:
        check_write(payload, "api_client")
    assert caught.value.status == 400


def test_check_write_defaults_who():
    assert check_write({"key": "k", "value": 0}, "api_client") == ("k", 0, "api_client")
    assert check_write({"key": "k", "value": 0, "who": "me"}, "api_client") == ("k", 0, "me")


@pytest.mark.parametrize(
    "name", ["../x", "/abs", "a/b", "a\\b", "..", "x..y", "a\x1fb", "a\x7fb", ".", ".hidden", "a\udc80", "a" * 256]
)
def test_dump_filename_refused(name):
    with pytest.raises(ValidationError):
        check_dump_filename(name)


@pytest.mark.parametrize("name", ["snapshot", "snap.json", "with space", "dots.in.name", "ünïcode"])
def test_dump_filename_accepted(name):
    assert check_dump_filename(name) == name


def test_dump_request_appends_extension_once():
    assert check_dump_request({"format": "CSV", "filename": "a"}).filename == "a.csv"
    assert check_dump_request({"format": "csv", "filename": "a.csv"}).filename == "a.csv"
    assert check_dump_request({}).format == "json" and check_dump_request({}).filename is None


@pytest.mark.parametrize(
    "flag, expected",
    [("false", False), ("0", False), ("", False), ("true", True), (0, False), ([], False), (1, True), ({"a": 1}, True)],
)
def test_include_history_truthiness(flag, expected):
    assert check_dump_request({"include_history": flag}).include_history is expected


def test_store_history_is_bounded_and_counts_all():
    store = ContextStore(history_limit=3)
    for n in range(5):
        store.set("k", n, "w", f"t{n}")
    assert [e["after"] for e in store.history()] == [2, 3, 4]
    assert store.total_changes == 5 and store.retained_changes == 3


def test_store_same_value_adds_no_history():
    store = ContextStore()
    assert store.set("k", {"a": 1}, "w", "t1") is not None
    assert store.set("k", {"a": 1}, "w", "t2") is None
    assert store.total_changes == 1


def test_store_history_limit_zero_keeps_nothing_but_counts():
    store = ContextStore(history_limit=0)
    store.set("k", 1, "w", "t")
    assert store.history() == [] and store.total_changes == 1


def test_check_write_echoes_who_of_any_type():
    assert check_write({"key": "k", "value": 0, "who": 5}, "api_client") == ("k", 0, 5)
    assert check_write({"key": "k", "value": 0, "who": ""}, "api_client") == ("k", 0, "")
    assert check_write({"key": "k", "value": 0, "who": None}, "api_client") == ("k", 0, "api_client")


def nested(depth: int, container=list):
    value = 0
    for _ in range(depth):
        value = [value] if container is list else {"k": value}
    return value


@pytest.mark.parametrize("container", [list, dict])
def test_nesting_limit(container):
    assert not nesting_depth_exceeds(nested(MAX_DEPTH, container))
    assert nesting_depth_exceeds(nested(MAX_DEPTH + 1, container))
    assert not nesting_depth_exceeds("scalar") and not nesting_depth_exceeds([])
    assert nesting_depth_exceeds(nested(50_000, container))  # iterative: no RecursionError


def test_dump_filename_limit_counts_the_appended_extension():
    assert check_dump_request({"format": "json", "filename": "a" * 250}).filename == "a" * 250 + ".json"
    with pytest.raises(ValidationError):
        check_dump_request({"format": "json", "filename": "a" * 251})

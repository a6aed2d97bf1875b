"""Dumps: formats, names, listing, downloads, traversal refused, atomic writes."""

import csv
import io
import json
import re
import threading

import pytest


@pytest.fixture
def dump_server(start_server, tmp_path):
    server = start_server(dump_dir=tmp_path / "dumps")
    server.dump_path = tmp_path / "dumps"
    return server


def seed(http, server, values: dict, who="seeder"):
    for key, value in values.items():
        assert http.post(f"{server.url}/ctx", json={"key": key, "value": value, "who": who}).status_code == 200


def dump(http, server, **fields):
    return http.post(f"{server.url}/ctx/dump", json=fields)


def download(http, server, name):
    return http.get(f"{server.url}/ctx/dump/{name}")


def test_json_dump_shape_and_response(http, dump_server):
    seed(http, dump_server, {"a": {"n": 1}, "b": "text"})
    response = dump(http, dump_server, format="json", filename="snap", who="ops", include_history=True)
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "success" and body["filename"] == "snap.json" and body["format"] == "json"
    assert body["key_count"] == 2 and body["who"] == "ops" and body["timestamp"]
    assert body["path"] == str((dump_server.dump_path / "snap.json").resolve())
    assert body["file_size"] == (dump_server.dump_path / "snap.json").stat().st_size
    document = json.loads((dump_server.dump_path / "snap.json").read_text())
    fields = {"timestamp", "format", "filename", "who", "key_count", "include_history", "context", "history"}
    assert set(document) == fields
    assert document["context"] == {"a": {"n": 1}, "b": "text"} and len(document["history"]) == 2


def test_json_dump_without_history_has_no_history_field(http, dump_server):
    seed(http, dump_server, {"a": 1})
    dump(http, dump_server, format="json", filename="plain")
    assert "history" not in json.loads((dump_server.dump_path / "plain.json").read_text())


@pytest.mark.parametrize("flag", [1, "yes", [0], {"x": 1}, True])
def test_any_truthy_include_history_counts(http, dump_server, flag):
    seed(http, dump_server, {"a": 1})
    dump(http, dump_server, format="json", filename="h", include_history=flag)
    assert "history" in json.loads((dump_server.dump_path / "h.json").read_text())


def test_csv_dump(http, dump_server):
    seed(http, dump_server, {"a": {"n": 1}, "b": "text"}, who="w")
    dump(http, dump_server, format="csv", filename="c", who="ops", include_history=True)
    rows = list(csv.reader(io.StringIO(download(http, dump_server, "c.csv").text)))
    assert rows[0] == ["Key", "Value", "Type", "Dump_Timestamp", "Requested_By"]
    values = {row[0]: (json.loads(row[1]) if row[2] != "str" else row[1]) for row in rows[1:]}
    assert values == {"a": {"n": 1}, "b": "text"}
    assert {row[4] for row in rows[1:]} == {"ops"} and len(rows) == 3  # never any history


def test_txt_dump(http, dump_server):
    seed(http, dump_server, {"a": 1, "b": "two"})
    dump(http, dump_server, format="txt", filename="t.txt", include_history=True)
    assert sorted(download(http, dump_server, "t.txt").text.splitlines()) == ["a=1", "b=two"]


def test_pretty_dump_has_banner_sorted_keys_and_history(http, dump_server):
    seed(http, dump_server, {"zeta": 1, "alpha": 2})
    dump(http, dump_server, format="pretty", filename="p", include_history=True)
    text = download(http, dump_server, "p.pretty").text
    assert "CONTEXT DUMP" in text and "HISTORY" in text
    assert text.index("alpha:") < text.index("zeta:")


@pytest.mark.parametrize("fmt", ["JSON", "Csv", "TXT", "pretty"])
def test_format_is_case_insensitive(http, dump_server, fmt):
    response = dump(http, dump_server, format=fmt, filename="f")
    assert response.status_code == 200 and response.json()["filename"] == f"f.{fmt.lower()}"


@pytest.mark.parametrize("fmt", ["xml", "", 5, "json5"])
def test_unknown_format_is_400_and_writes_nothing(http, dump_server, fmt):
    response = dump(http, dump_server, format=fmt, filename="never")
    if fmt == "":
        assert response.status_code == 200  # empty means the default, json
        return
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert not list(dump_server.dump_path.glob("never*"))


def test_default_filename_has_second_resolution(http, dump_server):
    name = dump(http, dump_server, format="csv").json()["filename"]
    assert re.fullmatch(r"context_dump_\d{8}_\d{6}\.csv", name)


def test_fields_from_query_string_when_body_is_not_json(http, dump_server):
    response = http.post(f"{dump_server.url}/ctx/dump", params={"format": "txt", "filename": "q", "who": "query"})
    assert response.status_code == 200
    assert response.json()["filename"] == "q.txt" and response.json()["who"] == "query"


def test_dump_broadcasts_and_lists(http, dump_server):
    dump(http, dump_server, format="json", filename="one")
    dump(http, dump_server, format="csv", filename="two")
    body = http.get(f"{dump_server.url}/ctx/dump/list").json()
    assert body["status"] == "success" and body["dump_count"] == 2
    assert body["dump_directory"] == str(dump_server.dump_path.resolve())
    assert {f["filename"] for f in body["dump_files"]} == {"one.json", "two.csv"}
    assert all(set(f) == {"filename", "path", "size", "created", "modified"} for f in body["dump_files"])
    assert [d["filename"] for d in body["dump_history"]] == ["one.json", "two.csv"]


def test_dump_history_keeps_the_last_ten(http, dump_server):
    for n in range(12):
        dump(http, dump_server, format="txt", filename=f"d{n}")
    history = http.get(f"{dump_server.url}/ctx/dump/list").json()["dump_history"]
    assert [d["filename"] for d in history] == [f"d{n}.txt" for n in range(2, 12)]


@pytest.mark.parametrize(
    "name, content_type",
    [
        ("x.csv", "text/csv"),
        ("x.txt", "text/plain"),
        ("x.pretty", "text/plain"),
        ("x.json", "application/json"),
    ],
)
def test_download_content_type_and_attachment(http, dump_server, name, content_type):
    stem, fmt = name.split(".")
    dump(http, dump_server, format=fmt, filename=stem)
    response = download(http, dump_server, name)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(content_type)
    assert response.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize("name", ["missing.json", "..%2F..%2Fetc%2Fpasswd", "%2Fetc%2Fpasswd", "%2E%2E", "a%5Cb"])
def test_download_missing_or_traversal_is_404_json(http, dump_server, name):
    response = download(http, dump_server, name)
    assert response.status_code == 404 and response.json()["status"] == "error"


@pytest.mark.parametrize(
    "filename",
    [
        "../escape",
        "../../escape",
        "/tmp/escape",
        "sub/escape",
        "sub\\escape",
        "..",
        "a..b",
        "bad\nname",
        "bad\x00name",
        "tab\tname",
    ],
)
def test_traversal_and_control_filenames_are_400_and_write_nothing(http, dump_server, tmp_path, filename):
    response = dump(http, dump_server, format="json", filename=filename)
    assert response.status_code == 400 and response.json()["status"] == "error"
    written = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert written == [], f"files written: {written}"


def test_dump_files_are_written_atomically(http, dump_server):
    """Readers racing a rewrite of the same file always see a whole, parseable dump."""
    seed(http, dump_server, {f"k{n}": "x" * 2000 for n in range(300)})
    assert dump(http, dump_server, format="json", filename="race").status_code == 200
    stop, bad = threading.Event(), []

    def rewrite():
        while not stop.is_set():
            dump(http, dump_server, format="json", filename="race")

    writer = threading.Thread(target=rewrite)
    writer.start()
    try:
        for _ in range(40):
            text = (dump_server.dump_path / "race.json").read_text()
            try:
                assert json.loads(text)["key_count"] == 300
            except (ValueError, AssertionError):
                bad.append(len(text))
    finally:
        stop.set()
        writer.join()
    assert bad == []
    assert [p.name for p in dump_server.dump_path.iterdir()] == ["race.json"]  # no temp files left

"""Dumps: formats, names, listing, downloads, traversal refused, atomic writes, file modes."""

import csv
import io
import json
import os
import re
import subprocess
import sys
import threading
import time

import pytest
import requests

from refserver.cli import READY_PREFIX
from refserver.launcher import PROJECT_ROOT
from tests.refserver.test_socketio import Recorder


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


@pytest.mark.parametrize("fmt", ["xml", "", 5, 0, False, True, ["json"], {"f": "json"}, "json5"])
def test_unknown_format_is_400_and_writes_nothing(http, dump_server, fmt):
    """Only a string naming a format counts; "", 0, false and other non-strings are "anything else"."""
    response = dump(http, dump_server, format=fmt, filename="never")
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert not list(dump_server.dump_path.glob("never*"))


@pytest.mark.parametrize("fields", [{}, {"format": None}])
def test_missing_or_null_format_means_json(http, dump_server, fields):
    response = dump(http, dump_server, filename="default", **fields)
    assert response.status_code == 200 and response.json()["format"] == "json"
    assert (dump_server.dump_path / "default.json").is_file()


def test_empty_format_in_query_string_is_400(http, dump_server):
    response = http.post(f"{dump_server.url}/ctx/dump", params={"format": "", "filename": "never"})
    assert response.status_code == 400
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


def written_files(root) -> list:
    return [p for p in root.rglob("*") if p.is_file()]


def assert_list_ok(http, server) -> dict:
    response = http.get(f"{server.url}/ctx/dump/list")
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.parametrize("filename", ["bad\udc80name", "\ud800", "x\udfff.json"])
def test_filename_not_encodable_as_utf8_is_400_and_writes_nothing(http, dump_server, tmp_path, filename):
    response = dump(http, dump_server, format="json", filename=filename)
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert written_files(tmp_path) == []
    assert assert_list_ok(http, dump_server)["dump_count"] == 0


def test_listing_skips_names_that_are_not_utf8(http, dump_server):
    dump(http, dump_server, format="json", filename="good")
    with open(os.path.join(os.fsencode(dump_server.dump_path), b"bad\x80name.json"), "wb") as handle:
        handle.write(b"{}")
    body = assert_list_ok(http, dump_server)
    assert [f["filename"] for f in body["dump_files"]] == ["good.json"] and body["dump_count"] == 1


@pytest.mark.parametrize(
    "filename, fmt",
    [
        ("a" * 260, "json"),
        ("a" * 251, "json"),  # 256 bytes once ".json" is appended
        ("\u00fc" * 126, "json"),  # 252 bytes of UTF-8, 257 with ".json"
        ("\u00fc" * 126 + ".txt", "txt"),  # extension already present: 256 bytes
    ],
)
def test_filename_over_255_utf8_bytes_is_400_and_writes_nothing(http, dump_server, tmp_path, filename, fmt):
    response = dump(http, dump_server, format=fmt, filename=filename)
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert written_files(tmp_path) == []
    assert_list_ok(http, dump_server)


@pytest.mark.parametrize("filename", ["a" * 250, "\u00fc" * 125])
def test_filename_of_exactly_255_utf8_bytes_is_written(http, dump_server, filename):
    response = dump(http, dump_server, format="json", filename=filename)
    assert response.status_code == 200
    assert (dump_server.dump_path / f"{filename}.json").is_file()
    assert download(http, dump_server, f"{filename}.json").status_code == 200


def test_filename_naming_a_folder_is_400(http, dump_server):
    (dump_server.dump_path / "taken.json").mkdir(parents=True)
    response = dump(http, dump_server, format="json", filename="taken")
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert (dump_server.dump_path / "taken.json").is_dir()
    assert [p.name for p in dump_server.dump_path.iterdir()] == ["taken.json"]  # no temp file left


def test_unwritable_dump_folder_is_a_json_500(http, start_server, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the dump folder should be")
    server = start_server(dump_dir=blocker)
    response = http.post(f"{server.url}/ctx/dump", json={"format": "json", "filename": "x"})
    assert response.status_code == 500 and response.json()["status"] == "error"
    assert "cannot write dump file" in response.json()["error"]


@pytest.mark.parametrize("filename", [".partial-x", ".hidden", ".json"])
def test_filename_starting_with_a_dot_is_400(http, dump_server, tmp_path, filename):
    response = dump(http, dump_server, format="json", filename=filename)
    assert response.status_code == 400 and response.json()["status"] == "error"
    assert written_files(tmp_path) == []


@pytest.mark.parametrize("who", [5, {"a": 1}, ["x"], False, ""])
def test_dump_who_is_echoed_exactly(http, dump_server, who):
    subscriber = Recorder(dump_server.url)
    try:
        subscriber.wait_for("context_snapshot")
        response = dump(http, dump_server, format="json", filename="w", who=who)
        assert response.status_code == 200
        assert response.json()["who"] == who and type(response.json()["who"]) is type(who)
        pushed = subscriber.wait_for("context_dumped")[0]
        assert pushed["who"] == who and type(pushed["who"]) is type(who)
    finally:
        subscriber.close()
    assert json.loads((dump_server.dump_path / "w.json").read_text())["who"] == who
    assert dump(http, dump_server, format="csv", filename="w", who=who).status_code == 200
    assert dump(http, dump_server, format="pretty", filename="w", who=who).status_code == 200


def test_dump_null_who_gets_the_default(http, dump_server):
    assert dump(http, dump_server, format="txt", filename="n", who=None).json()["who"] == "api_client"


def test_repeated_query_fields_use_the_first_value(http, dump_server):
    url = f"{dump_server.url}/ctx/dump?format=txt&format=json&filename=q1&filename=q2&who=first&who=second"
    response = http.post(url)
    assert response.status_code == 200
    assert response.json()["filename"] == "q1.txt" and response.json()["who"] == "first"


@pytest.mark.parametrize("umask, mode", [(0o022, 0o644), (0o027, 0o640)])
def test_dump_file_mode_follows_the_umask(http, start_server, tmp_path, umask, mode):
    previous = os.umask(umask)  # the server inherits it
    try:
        server = start_server(dump_dir=tmp_path / "moded")
    finally:
        os.umask(previous)
    assert http.post(f"{server.url}/ctx/dump", json={"format": "json", "filename": "m"}).status_code == 200
    assert (tmp_path / "moded" / "m.json").stat().st_mode & 0o777 == mode


# Blocking file-system work runs off the event loop: while it waits, other requests are served.

GATED_SERVER = """
import sys, time
from pathlib import Path

import refserver.dumps

gates = Path(sys.argv[1])


def wait_at(name):
    (gates / f"{name}.entered").touch()
    deadline = time.monotonic() + 10
    while not (gates / f"{name}.open").exists() and time.monotonic() < deadline:
        time.sleep(0.01)


original_list, original_stat = refserver.dumps.list_dumps, refserver.dumps.regular_file_stat


def gated_list(directory):
    wait_at("list")
    return original_list(directory)


def gated_stat(path):
    if path.name == "gated.json":
        wait_at("download")
    return original_stat(path)


refserver.dumps.list_dumps, refserver.dumps.regular_file_stat = gated_list, gated_stat
from refserver.cli import main

sys.exit(main(sys.argv[2:]))
"""


@pytest.fixture
def gated_server(tmp_path):
    gates, dump_dir = tmp_path / "gates", tmp_path / "dumps"
    gates.mkdir()
    command = [sys.executable, "-c", GATED_SERVER, str(gates), "--port", "0", "--dump-dir", str(dump_dir)]
    process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = process.stdout.readline()
        assert line.startswith(READY_PREFIX), line
        url = line[len(READY_PREFIX) :].strip()
        deadline = time.monotonic() + 20
        while True:
            try:
                requests.get(f"{url}/_faults", timeout=1)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, "gated server did not answer"
                time.sleep(0.05)
        yield url, gates, dump_dir
    finally:
        for name in ("list", "download"):
            (gates / f"{name}.open").touch()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        process.stdout.close()


def request_while_gated(url: str, gates, gate: str, path: str) -> int:
    """Start ``GET path``, wait until it is held at ``gate``, check /ctx answers meanwhile, release it."""
    result = {}
    held = threading.Thread(target=lambda: result.update(status=requests.get(f"{url}{path}", timeout=30).status_code))
    held.start()
    try:
        deadline = time.monotonic() + 10
        while not (gates / f"{gate}.entered").exists():
            assert time.monotonic() < deadline, f"the request never reached the {gate} gate"
            time.sleep(0.01)
        assert requests.get(f"{url}/ctx", params={"key": "k"}, timeout=5).status_code == 200
        assert held.is_alive() and not result  # still held at the gate while /ctx was answered
    finally:
        (gates / f"{gate}.open").touch()
        held.join(30)
    return result["status"]


def test_dump_listing_does_not_block_the_event_loop(gated_server):
    url, gates, _dump_dir = gated_server
    assert request_while_gated(url, gates, "list", "/ctx/dump/list") == 200


def test_download_check_does_not_block_the_event_loop(gated_server):
    url, gates, dump_dir = gated_server
    assert requests.post(f"{url}/ctx/dump", json={"format": "json", "filename": "gated"}).status_code == 200
    assert request_while_gated(url, gates, "download", "/ctx/dump/gated.json") == 200


def test_a_link_in_the_dump_folder_is_neither_served_nor_listed(http, dump_server, tmp_path):
    secret = tmp_path / "secret.txt"  # outside the dump folder, as /etc/shadow is
    secret.write_text("root:$6$not-for-clients\n")
    assert http.post(f"{dump_server.url}/ctx/dump", json={"format": "json", "filename": "real"}).status_code == 200
    (dump_server.dump_path / "evil.json").symlink_to(secret)
    (dump_server.dump_path / "inner.json").symlink_to(dump_server.dump_path / "real.json")  # even one inside
    answer = http.get(f"{dump_server.url}/ctx/dump/evil.json")
    assert answer.status_code == 404 and "not-for-clients" not in answer.text
    assert http.get(f"{dump_server.url}/ctx/dump/inner.json").status_code == 404
    listed = http.get(f"{dump_server.url}/ctx/dump/list").json()["dump_files"]
    assert [entry["filename"] for entry in listed] == ["real.json"]
    assert str(secret) not in json.dumps(listed)
    assert http.get(f"{dump_server.url}/ctx/dump/real.json").json()["filename"] == "real.json"

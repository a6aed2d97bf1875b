"""Response checks with short failure messages that group well in Locust's failure table.

Use inside ``with self.client.get(..., catch_response=True) as response:``::

    body = json_body(response, "key", "value", "timestamp")   # None after marking a failure

Messages never contain keys or values (``HTTP 500``, ``missing field 'value'``), so one kind of
failure is one row. Connection errors (status 0) are left to Locust, which reports the
exception itself.
"""

import json

import orjson


def parse_json(content: bytes):
    """orjson parses at about twice json's speed (``/ctx/all`` carries the whole context); it refuses
    the NaN and Infinity that Python's json writes (a Python client may have stored them): then json."""
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


def cut_short(response, content: bytes) -> str | None:
    """Why a body is incomplete, when its Content-Length says more than arrived (the connection closed
    mid-body), or None. Compressed bodies are not judged: their length is the compressed one."""
    declared = response.headers.get("content-length") if response.headers else None
    if not declared or not declared.isdigit() or response.headers.get("content-encoding"):
        return None
    if len(content) < int(declared):
        return "response cut short (the connection closed mid-body)"
    return None


def json_body(response, *required: str) -> dict | None:
    """The JSON object of a 2xx response holding ``required`` fields, or None (failure marked)."""
    status = response.status_code
    if not status:
        return None
    if not 200 <= status < 300:
        response.failure(f"HTTP {status}")
        return None
    content = response.content or b""
    try:
        body = parse_json(content)
    except ValueError:
        response.failure(cut_short(response, content) or "body is not JSON")
        return None
    if not isinstance(body, dict):
        response.failure("body is not a JSON object")
        return None
    for field in required:
        if field not in body:
            response.failure(f"missing field {field!r}")
            return None
    return body

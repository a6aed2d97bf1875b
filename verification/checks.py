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


def json_body(response, *required: str) -> dict | None:
    """The JSON object of a 2xx response holding ``required`` fields, or None (failure marked)."""
    status = response.status_code
    if not status:
        return None
    if not 200 <= status < 300:
        response.failure(f"HTTP {status}")
        return None
    try:
        body = parse_json(response.content or b"")
    except ValueError:
        response.failure("body is not JSON")
        return None
    if not isinstance(body, dict):
        response.failure("body is not a JSON object")
        return None
    for field in required:
        if field not in body:
            response.failure(f"missing field {field!r}")
            return None
    return body

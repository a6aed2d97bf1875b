"""The hostile-input probe's cases: what each one sends, and which answers are violations. No I/O.

``build_cases(prefix)`` lists the cases in the order the probe runs them (see ``hostile.probe``).
Each is one bad input from the contract (``shared/context-server-api.md``):

* an ``HttpCase`` is one request; any 4xx is the right answer. A 5xx, a 2xx (the bad input was
  accepted), any other status, or no answer at all is a violation (``judge_http``);
* a ``SocketIOCase`` is one exchange over a fresh Socket.IO session, judged by
  ``hostile.socketio_cases``: an unknown event gets no reply and the session stays alive; a frame
  over 1,000,000 bytes makes the server close that socket, and a new session then connects; a
  ``context_set`` with a numeric key gets an ``error`` event.

The writes use keys under ``<prefix>.hostile.`` and dump filenames starting ``<prefix>_hostile_``,
except where the point is a key that is not a string. The cases that poison the production server
(a numeric key breaks its ``/ctx/all`` until restart) come last, so that the server's health after
every other case is still measured in the first round.

Every violation message is short and holds no key or value: one kind of violation of a case is
one row of Locust's failure table. Parts of a message are joined with ``"; "``.
"""

import json
from dataclasses import dataclass

OVERSIZE_BODY_BYTES = 1_100_000  # over the reference server's --max-body default (1 MiB): 413 there
OVERSIZE_FRAME_BYTES = 1_000_100  # over Socket.IO's 1,000,000-byte message limit: the socket closes
NUMERIC_KEY = 12345
REASON_SEPARATOR = "; "
REQUEST_TYPE = "HOSTILE"  # the request type of every row the probe makes
BASELINE = "health before cases"  # the row of the health check that opens each round


@dataclass(frozen=True)
class HttpCase:
    name: str
    method: str
    path: str
    body: bytes | None = None
    content_type: str | None = "application/json"
    if_accepted: str = ""  # what a 2xx answer means, when more than "accepted"


@dataclass(frozen=True)
class SocketIOCase:
    name: str
    action: str  # a key of hostile.socketio_cases.EXCHANGES


def _json(document) -> bytes:
    return json.dumps(document).encode()


def build_cases(prefix: str) -> list[HttpCase | SocketIOCase]:
    key = f"{prefix}.hostile.key"
    who = f"{prefix}.hostile"
    dump_name = f"{prefix}_hostile"
    oversize_value = "x" * (OVERSIZE_BODY_BYTES - len(_json({"key": key, "value": "", "who": who})))
    return [
        HttpCase("malformed JSON", "POST", "/ctx", b'{"key": "' + key.encode() + b'", "value": '),
        HttpCase("empty body", "POST", "/ctx", b""),
        HttpCase("non-JSON content type", "POST", "/ctx", _json({"key": key, "value": 1}), "text/plain"),
        HttpCase("top-level array", "POST", "/ctx", _json([{"key": key, "value": 1}])),
        HttpCase("top-level string", "POST", "/ctx", _json(key)),
        HttpCase("top-level null", "POST", "/ctx", b"null"),
        HttpCase("array key", "POST", "/ctx", _json({"key": [key], "value": 1, "who": who})),
        HttpCase("object key", "POST", "/ctx", _json({"key": {"k": key}, "value": 1, "who": who})),
        HttpCase("empty key", "POST", "/ctx", _json({"key": "", "value": 1, "who": who})),
        HttpCase("null value", "POST", "/ctx", _json({"key": key, "value": None, "who": who})),
        HttpCase("missing value", "POST", "/ctx", _json({"key": key, "who": who})),
        HttpCase(
            "oversize body",
            "POST",
            "/ctx",
            _json({"key": key, "value": oversize_value, "who": who}),
            if_accepted=f"no size limit at {OVERSIZE_BODY_BYTES} bytes",
        ),
        HttpCase("read without key", "GET", "/ctx", content_type=None),
        HttpCase("read with empty key", "GET", "/ctx?key=", content_type=None),
        HttpCase("unknown dump format", "POST", "/ctx/dump", _json({"format": "xml", "filename": dump_name})),
        HttpCase(
            "traversal dump filename",
            "POST",
            "/ctx/dump",
            _json({"format": "json", "filename": f"../{dump_name}_traversal", "who": who}),
            if_accepted="wrote outside the dump folder",
        ),
        HttpCase(
            "absolute dump filename",
            "POST",
            "/ctx/dump",
            _json({"format": "json", "filename": f"/tmp/{dump_name}_absolute", "who": who}),
            if_accepted="wrote outside the dump folder",
        ),
        HttpCase(
            "traversal download",
            "GET",
            "/ctx/dump/..%2F..%2F..%2Fetc%2Fpasswd",
            content_type=None,
            if_accepted="served a file outside the dump folder",
        ),
        SocketIOCase("unknown Socket.IO event", "unknown_event"),
        SocketIOCase("oversize Socket.IO frame", "oversize_frame"),
        HttpCase("numeric key", "POST", "/ctx", _json({"key": NUMERIC_KEY, "value": 1, "who": who})),
        SocketIOCase("Socket.IO numeric key", "numeric_key"),
    ]


CASE_NAMES = tuple(case.name for case in build_cases("ctxload"))


def judge_http(case: HttpCase, status: int, error: BaseException | None = None) -> str | None:
    """Why ``status`` is a violation for ``case``, or None for the right answer (a 4xx)."""
    if 400 <= status < 500:
        return None
    if not status:
        return f"no answer ({type(error).__name__ if error else 'connection failed'})"
    if 200 <= status < 300:
        return f"accepted with {status}" + (f": {case.if_accepted}" if case.if_accepted else "")
    return f"HTTP {status}"

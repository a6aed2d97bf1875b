"""Fast JSON for the reference server: orjson for output, the standard library for input.

orjson serialises several times faster than ``json``, but it cannot write integers beyond
64 bits, and when parsing it silently turns them into floats; the Context Server stores
arbitrary JSON. Neither library does both, hence this small wrapper: parsing uses ``json``
(exact), serialising uses orjson with ``json`` as the fallback for what orjson rejects.
``NaN``/``Infinity`` are not JSON and are rejected; nesting too deep for the parser is
reported as malformed JSON (``ValueError``), not as ``RecursionError``.

Output is always valid UTF-8: a lone UTF-16 surrogate (JSON ``"\\ud800"`` parses to one) cannot
be encoded, so orjson refuses it and the fallback writes every non-ASCII character as a
``\\uXXXX`` escape (``ensure_ascii=True``), which round-trips it exactly.

Usage::

    from refserver import jsonio
    payload = jsonio.loads(body)      # raises ValueError on malformed JSON
    body = jsonio.dumps(payload)      # bytes
"""

import json

import orjson


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def loads(data: bytes | str):
    """Parse JSON text exactly; raise ``ValueError`` when it is malformed or too deeply nested to parse."""
    try:
        return json.loads(data, parse_constant=_reject_constant)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None


def dumps(obj, **_ignored) -> bytes:
    """Serialise to compact UTF-8 JSON bytes (keyword arguments are accepted and ignored)."""
    try:
        return orjson.dumps(obj)
    except TypeError:
        return json.dumps(obj, separators=(",", ":"), ensure_ascii=True).encode()


def dumps_pretty(obj) -> bytes:
    """Serialise with two-space indentation, for human-readable dump files."""
    try:
        return orjson.dumps(obj, option=orjson.OPT_INDENT_2)
    except TypeError:
        return json.dumps(obj, indent=2, ensure_ascii=True).encode()


class TextJSON:
    """The ``json``-module interface python-socketio expects (``dumps`` returns ``str``)."""

    loads = staticmethod(loads)

    @staticmethod
    def dumps(obj, **_ignored) -> str:
        return dumps(obj).decode()

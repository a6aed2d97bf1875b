"""Input checks for the reference server, free of I/O so they are easy to test.

The production server validates loosely (see ``shared/context-server-api.md``); these checks
keep its status codes but close its flaws:

* ``check_write(payload)`` -> ``(key, value, who)`` for ``POST /ctx`` and ``context_set``;
* ``check_dump_request(fields)`` -> ``DumpRequest`` for ``POST /ctx/dump``;
* ``check_dump_filename(name)`` -> the name, or ``ValidationError`` for anything that could
  leave the dump folder.

Every failure raises ``ValidationError`` with a short message and the HTTP status to answer.
"""

from dataclasses import dataclass

DUMP_FORMATS = ("json", "pretty", "csv", "txt")
_FALSE_STRINGS = {"", "0", "false", "no", "off"}


class ValidationError(ValueError):
    """A request the server refuses; ``status`` is the HTTP status code to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def check_write(payload, default_who: str) -> tuple[str, object, str]:
    """Validate a write: a JSON object with a non-empty string ``key`` and a non-null ``value``."""
    if not isinstance(payload, dict):
        raise ValidationError("body must be a JSON object")
    key = payload.get("key")
    if not isinstance(key, str):
        # The production server stores numeric keys and then fails on /ctx/all: refuse them.
        raise ValidationError("key is required and must be a string")
    if not key:
        raise ValidationError("key must not be empty")
    value = payload.get("value")
    if value is None:
        raise ValidationError("value is required and must not be null")
    who = payload.get("who")
    if who is None or who == "":
        who = default_who
    return key, value, str(who)


def check_dump_filename(name: str) -> str:
    """Refuse a dump filename that is absolute, holds a path separator, ``..`` or control chars."""
    if "/" in name or "\\" in name:
        raise ValidationError("filename must not contain a path separator")
    if ".." in name:
        raise ValidationError("filename must not contain '..'")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationError("filename must not contain control characters")
    if name in (".", ""):
        raise ValidationError("filename must name a file")
    return name


@dataclass(frozen=True)
class DumpRequest:
    format: str
    filename: str | None
    who: str
    include_history: bool


def truthy(value) -> bool:
    """JSON truthiness, plus the usual spellings of false in a query string."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_STRINGS
    return bool(value)


def check_dump_request(fields: dict) -> DumpRequest:
    """Validate the fields of ``POST /ctx/dump`` (from the JSON body or the query string)."""
    fmt = fields.get("format") or "json"
    if not isinstance(fmt, str) or fmt.lower() not in DUMP_FORMATS:
        raise ValidationError(f"unsupported format {fmt!r}; use one of {', '.join(DUMP_FORMATS)}")
    fmt = fmt.lower()
    filename = fields.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise ValidationError("filename must be a string")
    if filename:
        filename = check_dump_filename(filename)
        if not filename.endswith(f".{fmt}"):
            filename = f"{filename}.{fmt}"
    else:
        filename = None
    who = fields.get("who") or "api_client"
    return DumpRequest(fmt, filename, str(who), truthy(fields.get("include_history", False)))

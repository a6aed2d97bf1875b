"""Input checks for the reference server, free of I/O so they are easy to test.

The production server validates loosely (see ``shared/context-server-api.md``); these checks
keep its status codes but close its flaws:

* ``check_write(payload)`` -> ``(key, value, who)`` for ``POST /ctx`` and ``context_set``;
* ``check_dump_request(fields)`` -> ``DumpRequest`` for ``POST /ctx/dump``;
* ``check_dump_filename(name)`` -> the name, or ``ValidationError`` for anything that could
  leave the dump folder, hide in it, or not be a valid file name there.

Limits the production server lacks:

* ``MAX_DEPTH`` (100): a stored value, or a ``who``, may nest arrays/objects at most this many
  levels. The production server accepts ~970 levels and then fails every ``/ctx/all`` with
  ``RecursionError``; deeper nesting fails the write itself with 500. Deeper is 400 here.
* ``MAX_FILENAME_BYTES`` (255): a dump filename, extension included, must fit the file
  system's name limit in UTF-8, and must be encodable as UTF-8 at all (no lone surrogates).
* A write whose key, value or ``who`` cannot be serialised as JSON is refused before it is stored.

``who`` is echoed exactly as sent (any JSON value); only a missing or null ``who`` gets the default.
Every failure raises ``ValidationError`` with a short message and the HTTP status to answer.
"""

from dataclasses import dataclass

from refserver import jsonio

DUMP_FORMATS = ("json", "pretty", "csv", "txt")
MAX_DEPTH = 100
MAX_FILENAME_BYTES = 255
_FALSE_STRINGS = {"", "0", "false", "no", "off"}


class ValidationError(ValueError):
    """A request the server refuses; ``status`` is the HTTP status code to answer with."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def nesting_depth_exceeds(value, limit: int = MAX_DEPTH) -> bool:
    """True when ``value`` nests arrays/objects more than ``limit`` levels (a scalar is level 0).

    Iterative, so it cannot itself run out of stack on a hostile value.
    """
    stack = [(value, 1)] if isinstance(value, (dict, list)) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, (dict, list)))
    return False


def _check_storable(name: str, value) -> None:
    if nesting_depth_exceeds(value):
        raise ValidationError(f"{name} is nested deeper than {MAX_DEPTH} levels")


def check_write(payload, default_who: str) -> tuple[str, object, object]:
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
    if who is None:
        who = default_who
    _check_storable("value", value)
    _check_storable("who", who)
    try:
        # Whatever is stored is served again by /ctx/all, dumps and every context_snapshot.
        jsonio.dumps([key, value, who])
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("key, value and who must be serialisable as JSON") from None
    return key, value, who


def check_dump_filename(name: str) -> str:
    """Refuse a dump filename that could leave the dump folder, hide in it or not be a file name.

    Refused: path separators, ``..``, control characters, a leading ``.`` (hidden files, and the
    ``.partial-`` temp files of atomic writes), names that are not encodable as UTF-8 and names
    longer than ``MAX_FILENAME_BYTES`` in UTF-8.
    """
    if "/" in name or "\\" in name:
        raise ValidationError("filename must not contain a path separator")
    if ".." in name:
        raise ValidationError("filename must not contain '..'")
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        raise ValidationError("filename must not contain control characters")
    if name == "":
        raise ValidationError("filename must name a file")
    if name.startswith("."):
        raise ValidationError("filename must not start with '.'")
    check_filename_length(name)
    return name


def check_filename_length(name: str) -> str:
    """Refuse a name that is not valid UTF-8 text or is over ``MAX_FILENAME_BYTES`` bytes in UTF-8."""
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise ValidationError("filename must be valid Unicode text (no lone surrogates)") from None
    if size > MAX_FILENAME_BYTES:
        raise ValidationError(f"filename is {size} bytes in UTF-8 (extension included); at most {MAX_FILENAME_BYTES}")
    return name


@dataclass(frozen=True)
class DumpRequest:
    format: str
    filename: str | None
    who: object
    include_history: bool


def truthy(value) -> bool:
    """JSON truthiness, plus the usual spellings of false in a query string."""
    if isinstance(value, str):
        return value.strip().lower() not in _FALSE_STRINGS
    return bool(value)


def check_dump_request(fields: dict) -> DumpRequest:
    """Validate the fields of ``POST /ctx/dump`` (from the JSON body or the query string).

    A missing or null ``format`` means json; any other non-string, or an unknown name (``""``
    included), is refused. ``who`` is echoed as sent; missing or null means ``"api_client"``.
    """
    fmt = fields.get("format")
    if fmt is None:
        fmt = "json"
    if not isinstance(fmt, str) or fmt.lower() not in DUMP_FORMATS:
        raise ValidationError(f"unsupported format {fmt!r}; use one of {', '.join(DUMP_FORMATS)}")
    fmt = fmt.lower()
    filename = fields.get("filename")
    if filename is not None and not isinstance(filename, str):
        raise ValidationError("filename must be a string")
    if filename:
        filename = check_dump_filename(filename)
        if not filename.endswith(f".{fmt}"):
            filename = check_filename_length(f"{filename}.{fmt}")
    else:
        filename = None
    who = fields.get("who")
    if who is None:
        who = "api_client"
    _check_storable("who", who)
    try:
        jsonio.dumps(who)
    except (TypeError, ValueError, RecursionError):
        raise ValidationError("who must be serialisable as JSON") from None
    return DumpRequest(fmt, filename, who, truthy(fields.get("include_history", False)))

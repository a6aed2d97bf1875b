"""Dump files of the context: rendering in the four formats, atomic writing, listing.

Usage::

    body = render(request, context, history, timestamp)     # bytes in request.format
    path = write_atomically(dump_dir, "name.json", body)     # temp file + rename
    files = list_dumps(dump_dir)                              # [{filename, path, size, ...}]

File shapes follow the contract: json = ``{timestamp, format, filename, who, key_count,
include_history, context[, history]}``; csv = ``Key,Value,Type,Dump_Timestamp,Requested_By``;
txt = ``key=value`` lines; pretty = a banner, sorted keys, then the history when asked for.
csv and txt never include history. Text that UTF-8 cannot encode (a lone surrogate stored from
JSON ``"\\ud800"``) is written as a ``\\uXXXX`` escape, so every dump of any context succeeds.

Files get the mode an ordinary ``open()`` would give (``0o666`` less the process umask, read once
at import) rather than ``mkstemp``'s 0600, and are fsynced before the rename. Listing skips
temp files, names that are not valid UTF-8 (they cannot be served as JSON) and anything not a regular file:
symbolic links are neither listed nor served, so nothing outside the folder is reachable through it.
"""

import csv
import io
import os
import stat
import tempfile
from datetime import datetime
from pathlib import Path

from refserver import jsonio
from refserver.validation import DumpRequest

CONTENT_TYPES = {".csv": "text/csv", ".txt": "text/plain", ".pretty": "text/plain"}
TEMP_PREFIX = ".partial-"
TEXT_ERRORS = "backslashreplace"  # how text formats write what UTF-8 cannot encode


def _read_umask() -> int:
    """The process umask; reading it means setting it, so do it once, at import, before any thread."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_read_umask()


def default_filename(fmt: str, moment: datetime) -> str:
    """The production server's name: one-second resolution, so same-second dumps overwrite."""
    return f"context_dump_{moment:%Y%m%d_%H%M%S}.{fmt}"


def _as_text(value) -> str:
    return value if isinstance(value, str) else jsonio.dumps(value).decode()


def render(request: DumpRequest, filename: str, context: dict, history: list, timestamp: str) -> bytes:
    """Render ``context`` (and ``history`` where the format carries it) as file bytes."""
    fmt = request.format
    if fmt == "json":
        document = {
            "timestamp": timestamp,
            "format": fmt,
            "filename": filename,
            "who": request.who,
            "key_count": len(context),
            "include_history": request.include_history,
            "context": context,
        }
        if request.include_history:
            document["history"] = history
        return jsonio.dumps_pretty(document)
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["Key", "Value", "Type", "Dump_Timestamp", "Requested_By"])
        for key, value in context.items():
            writer.writerow([key, _as_text(value), type(value).__name__, timestamp, _as_text(request.who)])
        return out.getvalue().encode("utf-8", TEXT_ERRORS)
    if fmt == "txt":
        return "".join(f"{key}={_as_text(value)}\n" for key, value in context.items()).encode("utf-8", TEXT_ERRORS)
    return _render_pretty(request, context, history, timestamp).encode("utf-8", TEXT_ERRORS)


def _render_pretty(request: DumpRequest, context: dict, history: list, timestamp: str) -> str:
    rule = "=" * 60
    lines = [
        rule,
        "CONTEXT DUMP",
        rule,
        f"Timestamp: {timestamp}",
        f"Requested by: {_as_text(request.who)}",
        f"Keys: {len(context)}",
        rule,
        "",
    ]
    for key in sorted(context):
        lines.append(f"{key}: {jsonio.dumps_pretty(context[key]).decode()}")
    if request.include_history:
        lines += ["", rule, f"HISTORY ({len(history)} entries)", rule]
        for entry in history:
            lines.append(
                f"[{entry['timestamp']}] {entry['key']} by {_as_text(entry['who'])}: "
                f"{_as_text(entry['before'])} -> {_as_text(entry['after'])}"
            )
    return "\n".join(lines) + "\n"


def write_atomically(directory: Path, filename: str, body: bytes) -> Path:
    """Write ``body`` to ``directory/filename`` so that readers never see a partial file.

    Returns the resolved path. Raises ``OSError`` as the file system reports it.
    """
    directory.mkdir(parents=True, exist_ok=True)
    fd, temp_path = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(body)
            handle.flush()
            os.fchmod(handle.fileno(), FILE_MODE)
            os.fsync(handle.fileno())
        target = directory / filename
        os.replace(temp_path, target)
        return target.resolve()
    except BaseException:
        Path(temp_path).unlink(missing_ok=True)
        raise


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch).isoformat(timespec="microseconds")


def _is_utf8(name: str) -> bool:
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # os.scandir decodes undecodable bytes to lone surrogates
        return False
    return True


def regular_file_stat(path: Path) -> os.stat_result | None:
    """``path``'s stat if it is a regular file itself, None otherwise: a symbolic link is never followed,
    so a link placed in the dump folder (to ``/etc/shadow``) is neither served nor listed. Its name is
    checked first (``validation.check_dump_filename``), so ``path`` is directly in the folder."""
    try:
        found = os.lstat(path)
    except OSError:
        return None
    return found if stat.S_ISREG(found.st_mode) else None


def list_dumps(directory: Path) -> list[dict]:
    """Finished dump files in ``directory``, newest first (blocking: call it from a thread)."""
    if not directory.is_dir():
        return []
    files = []
    folder = directory.resolve()
    for entry in os.scandir(directory):
        if entry.name.startswith(TEMP_PREFIX) or not _is_utf8(entry.name):
            continue
        try:
            if not entry.is_file(follow_symlinks=False):  # links are not dumps: never followed
                continue
            found = entry.stat(follow_symlinks=False)
            path = str(folder / entry.name)
        except OSError:  # removed or replaced while we looked
            continue
        files.append(
            {
                "filename": entry.name,
                "path": path,
                "size": found.st_size,
                "created": _iso(found.st_ctime),
                "modified": _iso(found.st_mtime),
            }
        )
    files.sort(key=lambda item: item["modified"], reverse=True)
    return files


def content_type(filename: str) -> str:
    return CONTENT_TYPES.get(Path(filename).suffix.lower(), "application/json")

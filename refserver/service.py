"""What the Context Server does, shared by its REST and Socket.IO faces.

``ContextService`` validates and applies writes, answers reads and makes dumps; it knows
nothing about HTTP or Socket.IO framing. Pushes go through the ``Broadcaster`` of
``refserver.realtime``; the service only says what to push.

Dump files are written from a worker thread; file-system errors become ``ValidationError``:
400 for a name the file system refuses (too long, or an existing folder), 500 otherwise.
``count_clients`` is set by ``refserver.realtime`` to count the connected Socket.IO clients.

Usage::

    service = ContextService(store, faults, dump_dir=Path("dumps"))
    result = service.write({"key": "k", "value": 1}, default_who="api_client")
    result.response   # the acknowledgement body
    result.update     # the context_updated payload to push after acknowledging
"""

import asyncio
import errno
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from refserver import dumps
from refserver.faults import FaultInjector
from refserver.store import ContextStore, now
from refserver.validation import ValidationError, check_dump_request, check_write

HISTORY_FORMATS = ("json", "pretty")
# What the request asked for, not the disk: a name too long, or the name of a folder.
REFUSED_NAME_ERRORS = {errno.ENAMETOOLONG: "filename is too long", errno.EISDIR: "filename names a folder"}


@dataclass(frozen=True)
class WriteResult:
    response: dict
    update: dict


class ContextService:
    def __init__(self, store: ContextStore, faults: FaultInjector, dump_dir: Path):
        self.store = store
        self.faults = faults
        self.dump_dir = dump_dir
        self.count_clients: Callable[[], int] = lambda: 0

    def write(self, payload, default_who: str) -> WriteResult:
        """Validate and store a write (raises ``ValidationError``)."""
        key, value, who = check_write(payload, default_who)
        timestamp = now()
        if not self.faults.drop_write():
            self.store.set(key, value, who, timestamp)
        response = {"status": "success", "key": key, "value": value, "who": who, "timestamp": timestamp}
        return WriteResult(response, {"key": key, "value": value, "who": who, "timestamp": timestamp})

    def read(self, key: str) -> dict:
        return {"key": key, "value": self.store.get(key), "timestamp": now(), "status": "success"}

    def read_all(self) -> dict:
        return {
            "context": self.store.values,
            "history_count": self.store.total_changes,
            "connected_clients": self.count_clients(),
            "timestamp": now(),
            "status": "success",
        }

    def history(self, key: str | None, who: str | None) -> dict:
        entries = self.store.history(key=key or None, who=who or None)
        return {
            "history": entries,
            "total_entries": self.store.total_changes,
            "filtered_entries": len(entries),
            "timestamp": now(),
            "status": "success",
        }

    async def dump(self, fields: dict) -> dict:
        """Write a dump file atomically (raises ``ValidationError``); return the response body."""
        request = check_dump_request(fields)
        moment = datetime.now()
        timestamp = moment.isoformat(timespec="microseconds")
        filename = request.filename or dumps.default_filename(request.format, moment)
        context = self.store.snapshot()
        history = self.store.history() if request.include_history and request.format in HISTORY_FORMATS else []
        # Rendering and writing a large context takes a while: keep the event loop serving.
        body = await asyncio.to_thread(dumps.render, request, filename, context, history, timestamp)
        try:
            path = await asyncio.to_thread(dumps.write_atomically, self.dump_dir, filename, body)
        except OSError as exc:
            refused = REFUSED_NAME_ERRORS.get(exc.errno)
            message = f"cannot write dump file {filename!r}: {refused or exc.strerror or exc}"
            raise ValidationError(message, status=400 if refused else 500) from None
        response = {
            "status": "success",
            "filename": filename,
            "format": request.format,
            "path": str(path),
            "key_count": len(context),
            "file_size": len(body),
            "timestamp": timestamp,
            "who": request.who,
        }
        self.store.dump_history.append(response)
        return response

    async def list_dumps(self) -> dict:
        # scandir and stat block: keep them off the event loop.
        files = await asyncio.to_thread(dumps.list_dumps, self.dump_dir)
        directory = await asyncio.to_thread(self.dump_dir.resolve)
        return {
            "status": "success",
            "dump_directory": str(directory),
            "dump_count": len(files),
            "dump_files": files,
            "dump_history": list(self.store.dump_history),
            "timestamp": now(),
        }

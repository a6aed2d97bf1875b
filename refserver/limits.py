"""The reference server's limits on what one client can hold: header size, read timeouts, connections, send buffer.

Usage (``refserver.server`` does this)::

    limits = ConnectionLimits(max_header_bytes=65536, header_timeout=10, body_timeout=30,
                              max_connections=10_000, max_send_buffer=32 * 2**20)
    http_class, ws_class = guarded_protocols(limits)     # for uvicorn.Config(http=..., ws=...)
    limits = limits.within_open_file_limit()             # raises RLIMIT_NOFILE's soft limit; fits the rest

What each limit does (``docs/refserver.md``, "Limits"):

* ``max_header_bytes``: a request line and headers larger than this get ``431`` and the connection is closed;
  httptools would otherwise buffer a 200 MB header whole while every other client waits.
* ``header_timeout``: a connection must send a complete request line and headers within this many seconds of
  opening, or of the first byte of its next request. Idle new connections and slow-header (slowloris)
  clients are closed, so they cannot use up the file descriptors.
* ``body_timeout``: a request body that sends nothing for this long is closed (a stalled chunked upload).
* ``max_connections``: connections beyond this (HTTP and WebSocket together) get ``503`` and are closed,
  with a warning in the log, instead of the server failing to accept silently when descriptors run out.
* ``max_send_buffer``: a WebSocket client that falls this many bytes behind (it stopped reading) is
  disconnected, so it cannot grow the server's memory without bound (as Redis's client-output-buffer-limit).

Why by hand: uvicorn has a keep-alive timeout, armed only after a response, but no header or body read
timeout (a connection that never sends stays open: https://github.com/Kludex/uvicorn/pull/1192), no header
size limit with httptools and no per-client send limit. It accepts protocol classes, so these subclass its own
and add only the checks, as https://github.com/xorbitsai/inference/pull/5213 does for the same gap.
Each closing is logged as a warning at most every 10 s, with counts.
"""

import asyncio
import logging
import resource
import time
from dataclasses import dataclass, replace

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

logger = logging.getLogger("uvicorn.error")  # formatted and filtered by --log-level, as uvicorn's own lines
DESCRIPTORS_KEPT_FREE = 64  # for dump files, the listening socket, logs


@dataclass(frozen=True)
class ConnectionLimits:
    max_header_bytes: int = 65_536
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 10_000
    max_send_buffer: int = 32 * 1024 * 1024

    def within_open_file_limit(self) -> "ConnectionLimits":
        """Raise the soft limit on open files to the hard one, and lower ``max_connections`` to fit under it."""
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        wanted = self.max_connections + DESCRIPTORS_KEPT_FREE
        if soft != resource.RLIM_INFINITY and soft < wanted:
            new_soft = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
            try:
                resource.setrlimit(resource.RLIMIT_NOFILE, (new_soft, hard))
                soft = new_soft
            except (ValueError, OSError):
                pass
        if soft != resource.RLIM_INFINITY and soft < wanted:
            fitted = max(1, soft - DESCRIPTORS_KEPT_FREE)
            logger.warning(
                "refserver: open-file limit %d allows %d connections, not --max-connections %d", soft, fitted,
                self.max_connections,
            )  # fmt: skip
            return replace(self, max_connections=fitted)
        return self


class _ThrottledWarning:
    """One warning line per kind at most every ``every`` seconds, with how many happened since the last."""

    def __init__(self, message: str, every: float = 10.0):
        self.message, self.every = message, every
        self.count, self.last = 0, float("-inf")

    def __call__(self) -> None:
        self.count += 1
        now = time.monotonic()
        if now - self.last >= self.every:
            logger.warning(self.message, self.count)
            self.count, self.last = 0, now


def _response(status: bytes, text: str) -> bytes:
    body = text.encode()
    head = f"content-type: text/plain; charset=utf-8\r\ncontent-length: {len(body)}\r\nconnection: close\r\n\r\n"
    return b"HTTP/1.1 " + status + b"\r\n" + head.encode() + body


def guarded_protocols(limits: ConnectionLimits) -> tuple[type, type]:
    """uvicorn protocol classes (HTTP with httptools, WebSocket with websockets-sansio) that apply ``limits``."""
    too_many = _ThrottledWarning(f"refserver: refused %d connection(s) over --max-connections {limits.max_connections}")
    slow_headers = _ThrottledWarning(
        f"refserver: closed %d connection(s) that sent no complete request headers within {limits.header_timeout:g} s"
    )
    large_headers = _ThrottledWarning(
        f"refserver: refused %d request(s) with headers over {limits.max_header_bytes} bytes"
    )
    stalled_bodies = _ThrottledWarning(f"refserver: closed %d request(s) whose body stalled {limits.body_timeout:g} s")
    slow_readers = _ThrottledWarning(
        f"refserver: disconnected %d WebSocket client(s) more than {limits.max_send_buffer} bytes behind"
    )

    class GuardedHttp(HttpToolsProtocol):
        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            self._awaiting_headers, self._header_bytes, self._headers_completed = True, 0, 0
            self._header_timer = self._body_timer = None
            if len(self.connections) > limits.max_connections:
                too_many()
                transport.write(_response(b"503 Service Unavailable", "Too many connections"))
                transport.close()
                return
            self._arm_header_timer()  # a new connection must send its request in time

        def connection_lost(self, exc: Exception | None) -> None:
            self._cancel_timers()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            was_awaiting, completed = self._awaiting_headers, self._headers_completed
            super().data_received(data)
            # Counted only when no request's headers completed in this chunk: all of it was header bytes.
            if was_awaiting and self._headers_completed == completed and not self.transport.is_closing():
                self._header_bytes += len(data)
                if self._header_bytes > limits.max_header_bytes:
                    large_headers()
                    self._cancel_timers()
                    self.transport.write(_response(b"431 Request Header Fields Too Large", "Headers too large"))
                    self.transport.close()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            if self._header_timer is None:
                self._arm_header_timer()

        def on_headers_complete(self) -> None:
            self._awaiting_headers = False
            self._headers_completed += 1
            self._cancel(self._header_timer)
            self._header_timer = None
            self._arm_body_timer()
            super().on_headers_complete()

        def on_body(self, body: bytes) -> None:
            self._arm_body_timer()
            super().on_body(body)

        def on_message_complete(self) -> None:
            self._cancel(self._body_timer)
            self._body_timer = None
            self._awaiting_headers, self._header_bytes = True, 0
            super().on_message_complete()

        def handle_websocket_upgrade(self) -> None:
            self._cancel_timers()
            super().handle_websocket_upgrade()

        # -- timers ------------------------------------------------------------------------------
        def _arm_header_timer(self) -> None:
            self._header_timer = self.loop.call_later(limits.header_timeout, self._headers_too_slow)

        def _arm_body_timer(self) -> None:
            self._cancel(self._body_timer)
            self._body_timer = self.loop.call_later(limits.body_timeout, self._body_stalled)

        def _headers_too_slow(self) -> None:
            self._header_timer = None
            if self._awaiting_headers and not self.transport.is_closing():
                slow_headers()
                self.transport.close()

        def _body_stalled(self) -> None:
            self._body_timer = None
            if self.transport.is_closing():
                return
            if self.flow.read_paused:  # the application is not reading yet: not the client's stall
                self._arm_body_timer()
                return
            stalled_bodies()
            self.transport.close()

        @staticmethod
        def _cancel(timer) -> None:
            if timer is not None:
                timer.cancel()

        def _cancel_timers(self) -> None:
            self._cancel(getattr(self, "_header_timer", None))
            self._cancel(getattr(self, "_body_timer", None))
            self._header_timer = self._body_timer = None

    class GuardedWebSocket(WebSocketsSansIOProtocol):
        def connection_made(self, transport) -> None:
            super().connection_made(transport)
            # Pause (below) only when the client is max_send_buffer behind: until then writes never wait.
            transport.set_write_buffer_limits(high=limits.max_send_buffer)

        def pause_writing(self) -> None:
            super().pause_writing()
            if not self.transport.is_closing():
                slow_readers()
                self.transport.abort()

    return GuardedHttp, GuardedWebSocket

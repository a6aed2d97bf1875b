"""One Socket.IO session over the WebSocket transport, with true latencies in Locust's stats.

Why not ``socketio.Client`` (or Locust's ``SocketIOUser``, built on it): measured here with 1,000
idle sessions in one gevent process, a python-socketio client costs ~46 KB of RSS per session
against ~11 KB for a bare websocket-client connection, and ``SocketIOUser`` logs every received
event at 0 ms. So the transport loop is ours: one websocket-client connection and one reader
greenlet per session. The framing is not: frames are encoded and decoded with python-engineio's
and python-socketio's own ``Packet`` classes.

Rows (request type ``WS``), none of them 0 ms:

* ``WS connect``: from opening the WebSocket until both the namespace ack (``40{"sid"}``) and the
  ``context_snapshot`` have arrived (either may come first); its content length is the snapshot's size;
* ``WS register``: ``client_register`` to ``registration_confirmed``;
* ``WS context_set``: emit to ``context_set_confirmed`` (an ``error`` reply is a failure);
* ``WS reconnect``: from losing the session to having it back.

Pushes (``context_updated``) are receipts, not requests: they go to the push ledger with the moment they
were read (``verification.push_ledger``, ``time.perf_counter``), never to Locust's request statistics. A
``context_updated`` that cannot be read counts as malformed there; nothing a server sends crashes a session.

The server's pings are answered; a session that hears nothing for ping interval + timeout
counts as dropped. A dropped session reconnects with exponential backoff (0.5 s doubling to
10 s) until it is closed, so a server restart never kills the user, and every failed attempt
is a failure in ``WS connect``: a session never dies silently.

Usage (from a User, see ``traffic.socketio_users``)::

    session = SocketIOSession(environment, host, index, push_ledger_for(environment), name="u1")
    session.open()                       # connect + register, or keep trying in the background
    session.context_set("k", {"n": 1})
    session.close()
"""

import contextlib
import logging
import random
import time
from collections import deque

import engineio.packet as eio
import gevent
import orjson
import socketio.packet as sio
import websocket
from gevent.event import AsyncResult

logger = logging.getLogger(__name__)

BACKOFF_FIRST, BACKOFF_MAX = 0.5, 10.0
CLIENT_STATS_FRAME = '42["client_stats"'
UPDATED_FRAME = '42["context_updated"'


class SessionError(Exception):
    """Something a session expected did not happen (a reply, an ack, a connection)."""


def _frame(event: str, data) -> str:
    return eio.Packet(eio.MESSAGE, data=sio.Packet(sio.EVENT, data=[event, data]).encode()).encode()


class SocketIOSession:
    def __init__(self, environment, base_url: str, index: int, push_ledger, name: str, reply_timeout: float = 10.0):
        self.environment = environment
        self.url = base_url.replace("http", "ws", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.index = index
        self.push_ledger = push_ledger
        self.name = name
        self.reply_timeout = reply_timeout
        self.sid: str | None = None
        self.last_confirmed_at = 0.0  # wall-clock receipt of the latest context_set_confirmed
        self._snapshot_size: int | None = None  # the context_snapshot of the current connection
        self._ws: websocket.WebSocket | None = None
        self._reader: gevent.Greenlet | None = None
        self._reconnector: gevent.Greenlet | None = None
        self._closing = False
        self._wants_registration = False
        self._registered: AsyncResult | None = None
        self._sets: deque[tuple[str, AsyncResult]] = deque()  # (key, waiter), in the order sent

    # -- reporting -------------------------------------------------------------------------
    def _fire(self, name: str, started: float | None, length: int = 0, exception: Exception | None = None):
        elapsed = None if started is None else (time.perf_counter() - started) * 1000
        self.environment.events.request.fire(
            request_type="WS",
            name=name,
            response_time=elapsed,
            response_length=length,
            exception=exception,
            context={"session": self.name},
        )

    # -- connection ------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self.sid is not None

    def connect(self) -> bool:
        """Open the session and wait for the namespace ack and the snapshot; report ``WS connect``."""
        started = time.perf_counter()
        try:
            ws = websocket.create_connection(
                self.url, timeout=self.reply_timeout, enable_multithread=True, skip_utf8_validation=True
            )
        except Exception as exc:  # refused, timed out, bad handshake: all are failed connects
            self._fire("WS connect", started, exception=SessionError(f"{type(exc).__name__}"))
            return False
        self._snapshot_size = None
        try:
            opening = eio.Packet(encoded_packet=ws.recv())
            if opening.packet_type != eio.OPEN or not isinstance(opening.data, dict):
                raise SessionError("no Engine.IO open packet")
            silence_limit = (opening.data.get("pingInterval", 25000) + opening.data.get("pingTimeout", 20000)) / 1000
            ws.send(eio.Packet(eio.MESSAGE, data=sio.Packet(sio.CONNECT).encode()).encode())
            self._ws = ws
            while self.sid is None or self._snapshot_size is None:  # they come in either order
                self._handle(ws.recv(), time.perf_counter())
        except Exception as exc:
            ws.close()
            self._ws, self.sid = None, None
            missing = "the namespace ack" if self.sid is None else "the context_snapshot"
            error = exc if isinstance(exc, SessionError) else SessionError(f"{type(exc).__name__} before {missing}")
            self._fire("WS connect", started, exception=error)
            return False
        self._fire("WS connect", started, length=self._snapshot_size)
        ws.settimeout(silence_limit)
        self.push_ledger.subscribe(self.index, at=time.perf_counter())
        self._reader = gevent.spawn(self._read, ws)
        return True

    def open(self) -> None:
        """Connect and register; if the server can't be reached, keep trying in the background."""
        self._wants_registration = True
        if self.connect():
            self.register()
        else:
            self.start_reconnecting()

    def start_reconnecting(self) -> None:
        """Keep trying to connect in the background (after a failed first connect)."""
        if self._reconnector is None or self._reconnector.dead:
            self._reconnector = gevent.spawn(self._reconnect)

    def close(self) -> None:
        self._closing = True
        for greenlet in (self._reconnector, self._reader):
            if greenlet is not None and greenlet is not gevent.getcurrent():
                greenlet.kill(block=False)
        self._drop()

    def _drop(self) -> None:
        self.push_ledger.unsubscribe(self.index)
        self.sid = None
        if self._ws is not None:
            with contextlib.suppress(Exception):  # already broken: nothing left to close cleanly
                self._ws.close(timeout=0.5)
            self._ws = None
        while self._sets:
            self._sets.popleft()[1].set_exception(SessionError("session dropped"))
        if self._registered is not None and not self._registered.ready():
            self._registered.set_exception(SessionError("session dropped"))

    def _read(self, ws) -> None:
        try:
            while True:
                frame = ws.recv()
                self._handle(frame, time.perf_counter())  # a push is timed from when it was read
        except Exception as exc:  # closed by the server, silence past the ping timeout, network error
            if not self._closing:
                logger.debug("session %s dropped: %r", self.name, exc)
        if not self._closing:
            self._drop()
            self.start_reconnecting()

    def _reconnect(self) -> None:
        lost_at, delay = time.perf_counter(), BACKOFF_FIRST
        while not self._closing:
            gevent.sleep(delay * random.uniform(0.8, 1.2))
            delay = min(delay * 2, BACKOFF_MAX)
            if not self.connect():
                continue
            if self._wants_registration and self.register() is None and not self.connected:
                continue  # dropped again while registering: this greenlet keeps trying
            self._fire("WS reconnect", lost_at)
            return

    # -- frames ----------------------------------------------------------------------------
    def _handle(self, frame, received_at: float) -> None:
        if not isinstance(frame, str) or not frame:
            return
        kind = frame[0]
        if kind == "2":  # ping
            self._ws.send("3")
        elif kind == "1":  # Engine.IO close
            raise SessionError("closed by the server")
        elif kind == "4":
            if frame.startswith(UPDATED_FRAME):
                self._on_push(frame, received_at)  # the commonest frame in a busy run: read on a short path
                return
            if frame.startswith(CLIENT_STATS_FRAME):
                return  # the commonest frame of an idle run, and of no use here: skip the decoding
            try:
                packet = sio.Packet(encoded_packet=frame[1:])
            except ValueError:
                return  # not Socket.IO: nothing to act on
            if packet.packet_type == sio.CONNECT:
                self.sid = (packet.data or {}).get("sid", "")
            elif packet.packet_type == sio.DISCONNECT:
                raise SessionError("disconnected by the server")
            elif packet.packet_type == sio.EVENT and packet.data:
                self._on_event(packet.data[0], packet.data[1] if len(packet.data) > 1 else None, len(frame))

    def _on_push(self, frame: str, received_at: float) -> None:
        """A ``context_updated``: ``42["context_updated",{"key":..,"value":..,...}]`` (python-socketio's
        encoding, and the contract's), decoded straight from its JSON: no Packet object per push."""
        try:
            data = orjson.loads(frame[2:])[1]
            key, value = data["key"], data["value"]
        except (ValueError, IndexError, KeyError, TypeError):
            self.push_ledger.figures.count("malformed")
            return
        self.received(key, value, received_at)

    def received(self, key, value, received_at: float) -> None:
        """A push read: the ledger judges it (a subclass may note it too)."""
        self.push_ledger.receive(self.index, key, value, received_at)

    def _on_event(self, event: str, data, size: int) -> None:
        if event == "context_snapshot":
            self._snapshot_size = size
        elif event == "registration_confirmed" and self._registered is not None:
            self._registered.set(data)
        elif event == "context_set_confirmed" and self._sets:
            # Matched by key: a confirmation that arrives after its request timed out is dropped,
            # not credited to the next request.
            key = data.get("key") if isinstance(data, dict) else None
            waiter = next((entry for entry in self._sets if entry[0] == key), None)
            if waiter is not None:
                self._sets.remove(waiter)
                self.last_confirmed_at = time.time()
                waiter[1].set(data)
        elif event == "error" and self._sets:
            message = data.get("message", "?") if isinstance(data, dict) else "?"
            self._sets.popleft()[1].set_exception(SessionError(f"server error: {message}"))

    # -- requests --------------------------------------------------------------------------
    def _request(self, name: str, event: str, data, waiter: AsyncResult):
        started = time.perf_counter()
        try:
            if self._ws is None or self.sid is None:
                raise SessionError("not connected")
            self._ws.send(_frame(event, data))
            reply = waiter.get(timeout=self.reply_timeout)
        except gevent.Timeout:
            self._fire(name, started, exception=SessionError(f"no reply within {self.reply_timeout:g} s"))
            return None
        except Exception as exc:
            self._fire(
                name, started, exception=exc if isinstance(exc, SessionError) else SessionError(type(exc).__name__)
            )
            return None
        self._fire(name, started)
        return reply

    def register(self, client_type: str = "loadtest"):
        self._registered = AsyncResult()
        return self._request(
            "WS register", "client_register", {"type": client_type, "name": self.name}, self._registered
        )

    def context_set(self, key: str, value, who: str | None = None):
        """Emit ``context_set`` and wait for the confirmation; return it, or None on failure."""
        entry = (key, AsyncResult())
        self._sets.append(entry)
        reply = self._request(
            "WS context_set", "context_set", {"key": key, "value": value, "who": who or self.name}, entry[1]
        )
        if reply is None and entry in self._sets:
            self._sets.remove(entry)
        return reply

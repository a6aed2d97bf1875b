"""The hostile-input probe's Socket.IO exchanges: each on a fresh session of its own, every wait bounded.

``run_action(action, base_url, key, timeout)`` returns the violations found (an empty list when the
server behaved as the contract says). Actions (keys of ``EXCHANGES``):

* ``unknown_event``: emit an event the server does not know, then ``client_register``. Right: no
  reply to the unknown event, and ``registration_confirmed`` (the session is alive).
* ``oversize_frame``: send a ``context_set`` frame of ``OVERSIZE_FRAME_BYTES``. Right: the server
  closes the socket (its limit is 1,000,000 bytes), and then a new session connects.
* ``numeric_key``: ``context_set`` with a numeric key. Right: an ``error`` event (the same check
  as ``POST /ctx``), not ``context_set_confirmed``.

Sessions speak Engine.IO v4 over the WebSocket transport, framed with python-engineio's and
python-socketio's ``Packet`` classes as ``traffic.ws_session`` does, but without its reader greenlet,
reconnects or rows: the probe reports each case as one row of its own. Broadcasts to every
client (``client_stats``, ``context_updated``, ...) are skipped; pings are answered.
"""

import contextlib

import engineio.packet as eio
import gevent
import socketio.packet as sio
import websocket

from hostile.cases import NUMERIC_KEY, OVERSIZE_FRAME_BYTES

UNKNOWN_EVENT = "ctxload_hostile_unknown_event"
BROADCASTS = {"context_snapshot", "client_stats", "context_updated", "context_dumped"}


class SessionClosed(Exception):
    """The server closed the socket (or it broke)."""


class NoReply(Exception):
    """Nothing the exchange waited for arrived in time."""


def frame(event: str, data) -> str:
    return eio.Packet(eio.MESSAGE, data=sio.Packet(sio.EVENT, data=[event, data]).encode()).encode()


class ProbeSession:
    """One bare Socket.IO session: ``open()``, ``send(frame)``, ``next_event()``, ``close()``."""

    def __init__(self, base_url: str, timeout: float):
        self.base_url = base_url
        self.url = base_url.replace("http", "ws", 1).rstrip("/") + "/socket.io/?EIO=4&transport=websocket"
        self.timeout = timeout
        self.ws: websocket.WebSocket | None = None

    def open(self) -> "ProbeSession":
        """Connect and wait for the namespace ack (events may come before it)."""
        self.ws = websocket.create_connection(self.url, timeout=self.timeout, skip_utf8_validation=True)
        try:
            with gevent.Timeout(self.timeout, NoReply("no namespace ack")):
                opening = eio.Packet(encoded_packet=self.ws.recv())
                if opening.packet_type != eio.OPEN:
                    raise SessionClosed("no Engine.IO open packet")
                self.send(eio.Packet(eio.MESSAGE, data=sio.Packet(sio.CONNECT).encode()).encode())
                while self._next_packet().packet_type != sio.CONNECT:
                    pass
        except BaseException:
            self.close()
            raise
        return self

    def close(self) -> None:
        if self.ws is not None:
            with contextlib.suppress(Exception):  # maybe closed by the server already
                self.ws.close(timeout=0.5)
            self.ws = None

    def send(self, text: str) -> None:
        try:
            self.ws.send(text)
        except (OSError, websocket.WebSocketException) as exc:
            raise SessionClosed(type(exc).__name__) from None

    def _next_packet(self) -> sio.Packet:
        while True:
            try:
                text = self.ws.recv()
            except websocket.WebSocketTimeoutException:
                raise NoReply("timed out") from None
            except (OSError, websocket.WebSocketException) as exc:
                raise SessionClosed(type(exc).__name__) from None
            if not isinstance(text, str) or not text or text[0] == "1":  # a close frame, or Engine.IO close
                raise SessionClosed("closed")
            if text == "2":
                self.send("3")
            elif text[0] == "4":
                packet = sio.Packet(encoded_packet=text[1:])
                if packet.packet_type == sio.DISCONNECT:
                    raise SessionClosed("disconnected")
                return packet

    def next_event(self) -> str:
        """The next event's name, broadcasts skipped (``"(ack)"`` for an ack); ``NoReply`` after the timeout."""
        with gevent.Timeout(self.timeout, NoReply("timed out")):
            while True:
                packet = self._next_packet()
                if packet.packet_type == sio.ACK:
                    return "(ack)"
                if packet.packet_type == sio.EVENT and packet.data and packet.data[0] not in BROADCASTS:
                    return packet.data[0]


def _unknown_event(session: ProbeSession, key: str) -> list[str]:
    try:
        session.send(frame(UNKNOWN_EVENT, {"probe": key}))
        session.send(frame("client_register", {"type": "ctxload-hostile", "name": key}))
        event = session.next_event()
    except SessionClosed:
        return ["closed the session after an unknown event"]
    except NoReply:
        return ["session stopped answering after an unknown event"]
    return [] if event == "registration_confirmed" else ["answered an unknown event"]


def _oversize_frame(session: ProbeSession, key: str) -> list[str]:
    problems = []
    padding = OVERSIZE_FRAME_BYTES - len(frame("context_set", {"key": key, "value": ""}))
    try:
        session.send(frame("context_set", {"key": key, "value": "x" * padding}))
        session.next_event()
        problems.append(f"accepted a {OVERSIZE_FRAME_BYTES}-byte frame")
    except SessionClosed:
        pass  # what the contract says: the server closes that socket
    except NoReply:
        problems.append(f"kept the session open after a {OVERSIZE_FRAME_BYTES}-byte frame")
    try:
        ProbeSession(session.base_url, session.timeout).open().close()
    except Exception as exc:  # refused, timed out, closed: no new session either way
        problems.append(f"no new session afterwards ({type(exc).__name__})")
    return problems


def _numeric_key(session: ProbeSession, key: str) -> list[str]:
    try:
        session.send(frame("context_set", {"key": NUMERIC_KEY, "value": 1, "who": key}))
        event = session.next_event()
    except SessionClosed:
        return ["closed the session on a numeric key"]
    except NoReply:
        return ["no error reply to a numeric key"]
    if event == "error":
        return []
    if event == "context_set_confirmed":
        return ["accepted a numeric key"]
    return ["answered a numeric key with another event"]


EXCHANGES = {"unknown_event": _unknown_event, "oversize_frame": _oversize_frame, "numeric_key": _numeric_key}


def run_action(action: str, base_url: str, key: str, timeout: float) -> list[str]:
    """Run one exchange on a fresh session; the violations found, or [] when all was right."""
    exchange = EXCHANGES[action]
    try:
        session = ProbeSession(base_url, timeout).open()
    except Exception as exc:  # refused, bad handshake, timed out
        return [f"no Socket.IO session ({type(exc).__name__})"]
    try:
        return exchange(session, key)
    except Exception as exc:  # a frame that does not decode, say
        return [f"Socket.IO exchange failed ({type(exc).__name__})"]
    finally:
        session.close()

"""KIND ``raw`` of the WebSocket benchmarks: a bare websocket-client connection that speaks just enough Socket.IO.

Imported by ``benchmarks.ws_generator`` after gevent's monkey-patching (``idle`` and ``fanout`` with KIND ``raw``,
and ``listen``)::

    session = RawSession(url, on_push)   # handshake done; its greenlet answers pings, counts context_updated frames
    session.pushes, session.alive
    fanout = RawFanout(url, receipts)    # in ``fanout``: make, alive, on_ack, start(), finish(result)

The least an idle subscriber can do: no Locust, no push ledger; in ``fanout`` it decodes each
``context_updated`` frame's JSON to time it, nothing more.
"""

import json

import gevent
import websocket

from benchmarks.ws_connect import CONNECT_TIMEOUT

UPDATED = '42["context_updated"'


class RawSession:
    """Handshake, answer pings; count ``context_updated`` frames, and hand them to ``on_push`` if given."""

    __slots__ = ("ws", "on_push", "alive", "pushes", "reader")

    def __init__(self, url: str, on_push=None):
        self.on_push = on_push
        self.alive = False
        self.pushes = 0
        self.ws = websocket.create_connection(
            url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket",
            timeout=CONNECT_TIMEOUT,
            enable_multithread=True,
            skip_utf8_validation=True,
        )
        self.ws.recv()  # the Engine.IO open packet
        self.ws.send("40")
        self.alive = True
        self.reader = gevent.spawn(self.read)

    def read(self) -> None:
        ws, on_push = self.ws, self.on_push
        try:
            while True:
                frame = ws.recv()
                if frame == "2":
                    ws.send("3")
                elif frame.startswith(UPDATED):
                    self.pushes += 1
                    if on_push is not None:
                        on_push(frame)
        except Exception:  # closed, or silent past the socket timeout: this session is gone
            self.alive = False


class RawFanout:
    """KIND ``raw`` in ``fanout``: sessions that note each push's value in the receipts; nothing else runs."""

    on_send = on_failed = None  # no ledger: the writer's writes go nowhere

    def __init__(self, url: str, receipts):
        self.url, self.receipts = url, receipts

    def make(self, index: int) -> RawSession:
        receipts = self.receipts
        return RawSession(self.url, lambda frame: receipts.note(index, json.loads(frame[2:])[1].get("value")))

    @staticmethod
    def alive(session: RawSession) -> bool:
        return session.alive

    def start(self) -> None:
        """Nothing runs beside the sessions."""

    def finish(self, result: dict) -> None:
        """Nothing to add to the result."""

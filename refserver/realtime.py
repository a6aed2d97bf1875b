"""The Socket.IO face of the reference server (python-socketio, Engine.IO v4).

Events and routing follow the contract:

* on connect: ``context_snapshot`` to the new client, ``client_stats`` to all (coalesced, see ``Broadcaster``);
* ``client_register`` -> ``registration_confirmed``;
* ``context_set`` -> ``context_set_confirmed`` to the sender, ``context_updated`` to all others,
  or ``error`` when invalid;
* a missing payload or an unknown event gets no reply, but an ack id always gets an empty ack,
  even when the event carries extra arguments or its handler fails.

Each client's events are handled one at a time, in the order they arrived (see
``create_socketio``). The client count (``client_stats`` and ``/ctx/all``) is read from
python-socketio's own table of connected clients, so a failed connect can never leak it.

Usage::

    sio, broadcaster = create_socketio(service)
    app = socketio.ASGIApp(sio, other_asgi_app=rest_app)
"""

import functools
import logging

import socketio

from refserver import jsonio
from refserver.service import ContextService
from refserver.store import now
from refserver.validation import ValidationError

NAMESPACE = "/"

logger = logging.getLogger(__name__)


def connected_count(manager: socketio.AsyncManager) -> int:
    """Clients in namespace ``/`` by python-socketio's own table, less those leaving.

    A client whose connect handler is running counts (it already has its snapshot); one whose
    disconnect handler is running does not. A refused connect is removed from the table by
    python-socketio itself, so nothing can leak the way a hand-kept counter did.
    """
    participants = manager.rooms.get(NAMESPACE, {}).get(None, {})
    leaving = manager.pending_disconnect.get(NAMESPACE, ())
    return len(participants) - len(leaving)


def never_raises(handler):
    """Log a handler's failure instead of raising it.

    python-socketio sends an event's ack, and forgets a leaving client, only after the handler
    returns: a handler that raised would leave the client without its ack, or in the table.
    """

    @functools.wraps(handler)
    async def guarded(sid, *args):
        try:
            return await handler(sid, *args)
        except Exception:
            logger.exception("Socket.IO event handler %s failed for %s", handler.__name__, sid)
            return None

    return guarded


class Broadcaster:
    """Pushes events to subscribers, skipping some when ``--drop-push-rate`` says so.

    ``client_stats`` goes out at most once per ``stats_interval`` seconds, with the count of that
    moment (0: on every connect and disconnect, as the production server does). Announcing each
    change to every client costs N*N/2 messages for N clients connecting: 50 million for 10,000.
    """

    def __init__(self, sio: socketio.AsyncServer, service: ContextService, stats_interval: float = 0.0):
        self.sio = sio
        self.faults = service.faults
        self.stats_interval = stats_interval
        self._stats_pending = False

    async def context_updated(self, update: dict, sender: str | None = None) -> None:
        skip = [sender]
        if self.faults.drops_pushes:
            for sid, _eio_sid in list(self.sio.manager.get_participants(NAMESPACE, None)):
                if sid != sender and self.faults.drop_push():
                    skip.append(sid)
        await self.sio.emit("context_updated", update, skip_sid=skip)

    async def to_all(self, event: str, data: dict) -> None:
        await self.sio.emit(event, data)

    def announce_client_count(self) -> None:
        if not self._stats_pending:
            self._stats_pending = True
            self.sio.start_background_task(self._send_client_count)

    async def _send_client_count(self) -> None:
        if self.stats_interval:
            await self.sio.sleep(self.stats_interval)
        self._stats_pending = False
        await self.to_all("client_stats", {"count": connected_count(self.sio.manager)})


def create_socketio(
    service: ContextService, stats_interval: float = 0.0, ping_interval: float = 25, ping_timeout: float = 20
) -> tuple[socketio.AsyncServer, Broadcaster]:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        json=jsonio.TextJSON,
        ping_interval=ping_interval,
        ping_timeout=ping_timeout,
        max_http_buffer_size=1_000_000,
        # By default python-socketio runs every event in a task of its own: with a reply delay
        # (--inject-latency-ms with jitter) one client's context_set events then finish out of
        # order and an older value overwrites a newer one. Handled inline, in the client's own
        # receive loop, each client's events are applied in arrival order; other clients are
        # not held up (each connection has its own loop).
        async_handlers=False,
    )
    broadcaster = Broadcaster(sio, service, stats_interval)
    faults = service.faults
    service.count_clients = lambda: connected_count(sio.manager)

    @sio.event
    async def connect(sid, environ, auth=None):
        try:
            snapshot = {"context": service.store.values, "timestamp": now(), "client_id": sid}
            await sio.emit("context_snapshot", snapshot, to=sid)
            broadcaster.announce_client_count()
        except Exception:
            logger.exception("Socket.IO connect failed for %s; refusing the connection", sid)
            return False
        return True

    @sio.event
    @never_raises
    async def disconnect(sid, reason=None):
        broadcaster.announce_client_count()

    @sio.event
    @never_raises
    async def client_register(sid, data=None, *_extra):
        if not isinstance(data, dict):
            return None
        await faults.delay()
        reply = {
            "client_id": sid,
            "type": data.get("type") or "unknown",
            "name": data.get("name") or sid,
            "status": "registered",
        }
        await sio.emit("registration_confirmed", reply, to=sid)

    @sio.event
    @never_raises
    async def context_set(sid, data=None, *_extra):
        if data is None:
            return None
        await faults.delay()
        try:
            result = service.write(data, default_who=f"websocket_client_{sid}")
        except ValidationError as exc:
            await sio.emit("error", {"message": str(exc)}, to=sid)
            return None
        confirmation = {"key": result.response["key"], "value": result.response["value"], "status": "success"}
        await sio.emit("context_set_confirmed", confirmation, to=sid)
        await broadcaster.context_updated(result.update, sender=sid)

    @sio.on("*")
    async def unknown_event(event, sid, *args):
        return None  # no reply; python-socketio still sends the empty ack when one was asked for

    return sio, broadcaster

"""The Socket.IO face of the reference server (python-socketio, Engine.IO v4).

Events and routing follow the contract:

* on connect: ``context_snapshot`` to the new client, ``client_stats`` to all;
* ``client_register`` -> ``registration_confirmed``;
* ``context_set`` -> ``context_set_confirmed`` to the sender, ``context_updated`` to all others,
  or ``error`` when invalid;
* a missing payload or an unknown event gets no reply, but an ack id always gets an empty ack.

Usage::

    sio, broadcaster = create_socketio(service)
    app = socketio.ASGIApp(sio, other_asgi_app=rest_app)
"""

import socketio

from target import jsonio
from target.service import ContextService
from target.store import now
from target.validation import ValidationError

NAMESPACE = "/"


class Broadcaster:
    """Pushes events to subscribers, skipping some when ``--drop-push-rate`` says so."""

    def __init__(self, sio: socketio.AsyncServer, service: ContextService):
        self.sio = sio
        self.faults = service.faults

    async def context_updated(self, update: dict, sender: str | None = None) -> None:
        skip = [sender]
        if self.faults.drops_pushes:
            for sid, _eio_sid in list(self.sio.manager.get_participants(NAMESPACE, None)):
                if sid != sender and self.faults.drop_push():
                    skip.append(sid)
        await self.sio.emit("context_updated", update, skip_sid=skip)

    async def to_all(self, event: str, data: dict) -> None:
        await self.sio.emit(event, data)


def create_socketio(service: ContextService) -> tuple[socketio.AsyncServer, Broadcaster]:
    sio = socketio.AsyncServer(
        async_mode="asgi",
        json=jsonio.TextJSON,
        ping_interval=25,
        ping_timeout=20,
        max_http_buffer_size=1_000_000,
    )
    broadcaster = Broadcaster(sio, service)
    faults = service.faults

    @sio.event
    async def connect(sid, environ, auth=None):
        service.connected_clients += 1
        snapshot = {"context": service.store.values, "timestamp": now(), "client_id": sid}
        await sio.emit("context_snapshot", snapshot, to=sid)
        await broadcaster.to_all("client_stats", {"count": service.connected_clients})

    @sio.event
    async def disconnect(sid, reason=None):
        service.connected_clients -= 1
        await broadcaster.to_all("client_stats", {"count": service.connected_clients})

    @sio.event
    async def client_register(sid, data=None):
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
    async def context_set(sid, data=None):
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

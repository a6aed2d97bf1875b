"""Assembles the reference server's ASGI app: Socket.IO in front, REST behind, faults between.

Usage::

    app = create_app(ServerConfig())      # an ASGI app for uvicorn
"""

import socketio

from refserver.config import ServerConfig
from refserver.faults import FaultInjector
from refserver.http_api import create_rest_app, error_response
from refserver.realtime import create_socketio
from refserver.service import ContextService
from refserver.store import ContextStore


class FaultMiddleware:
    """Delays REST requests and answers some with 500, as ``--inject-latency-ms``/``--error-rate`` say.

    A pure ASGI middleware: Starlette's ``BaseHTTPMiddleware`` would cost every request a task.
    """

    def __init__(self, app, faults: FaultInjector):
        self.app = app
        self.faults = faults

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http" and scope["path"] != "/_faults":
            await self.faults.delay()
            if self.faults.inject_error():
                await error_response("injected fault: --error-rate", 500)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(config: ServerConfig):
    faults = FaultInjector(config.faults)
    service = ContextService(ContextStore(config.history_limit), faults, config.dump_dir)
    sio, broadcaster = create_socketio(service, config.client_stats_interval, config.ping_interval, config.ping_timeout)
    rest = create_rest_app(service, broadcaster, config.max_body)
    settings = config.faults
    if settings.error_rate or settings.latency.mean_ms or settings.latency.jitter_ms:
        rest = FaultMiddleware(rest, faults)
    return socketio.ASGIApp(sio, other_asgi_app=rest)

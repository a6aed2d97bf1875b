"""Runs the reference server on uvicorn (uvloop + httptools, keep-alive on).

The socket is bound before uvicorn starts, so that ``--port 0`` can report the port it got.

Usage::

    serve(ServerConfig(port=0), ready=print)   # calls ready("http://127.0.0.1:PORT"), then serves
"""

import socket
from collections.abc import Callable

import uvicorn

from refserver.app import create_app
from refserver.config import ServerConfig
from refserver.limits import guarded_protocols

# uvicorn closes idle connections after 5 s by default. A client that reuses a connection just
# as the server closes it sees "connection closed" (seen with users that pause 5-15 s between
# dumps): a failure of the test setup, not of the server. 75 s is nginx's default.
KEEP_ALIVE_SECONDS = 75


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=4096)


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def serve(config: ServerConfig, ready: Callable[[str], None] = lambda url: None) -> None:
    sock = bind(config.host, config.port)
    http_protocol, ws_protocol = guarded_protocols(config.limits.within_open_file_limit())
    uvicorn_config = uvicorn.Config(
        create_app(config),
        log_level=config.log_level,
        access_log=False,
        loop="uvloop",
        http=http_protocol,  # httptools and websockets-sansio, with refserver.limits' checks
        ws=ws_protocol,
        ws_max_size=1_000_000,
        ws_ping_interval=None,  # Engine.IO pings at the application level already
        lifespan="off",
        proxy_headers=False,
        server_header=False,
        backlog=4096,
        timeout_graceful_shutdown=2,
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
    )
    ready(url_of(sock))
    uvicorn.Server(uvicorn_config).run(sockets=[sock])

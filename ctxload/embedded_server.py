"""Locust glue: run the reference server for a test that names no host.

Register it from a locustfile::

    from locust import events
    from ctxload import embedded_server

    events.init.add_listener(embedded_server.start_when_no_host)

With no ``--host`` (nor ``host`` in locust.conf), the master or local process starts the
reference server on a free loopback port before the test, points the run at it, and stops it
when Locust quits, on Ctrl-C, SIGTERM or an error (see ``refserver.launcher`` for the last resort).
Workers never start one: they take the host from their master. With a host, nothing starts.
The server's pid is offered to a resource monitor through the custom event ``common.names.GAUGES_EVENT``.
"""

import atexit
import logging

from common import names
from refserver.launcher import ReferenceServer

logger = logging.getLogger(__name__)


def start_when_no_host(environment, **_kwargs) -> ReferenceServer | None:
    if environment.host or getattr(environment.parsed_options, "worker", False):
        return None
    server = ReferenceServer()
    environment.host = server.start()
    # A monitor, when one is registered, asks for gauges through this custom event: offer the pid.
    gauges = getattr(environment.events, names.GAUGES_EVENT, None)
    if gauges is not None:
        gauges.add_listener(lambda gauges, **_kw: gauges.setdefault(names.GAUGE_TARGET_PID, server.pid))
    logger.info(
        "Started the reference Context Server at %s (pid %s); it stops when Locust quits", server.url, server.pid
    )

    def stop(**_kwargs):
        code = server.stop()
        if code is not None:
            logger.info("Stopped the reference Context Server (pid %s)", server.pid)

    environment.events.quit.add_listener(stop)
    atexit.register(stop)
    return server

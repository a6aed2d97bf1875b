"""ctxload's composition root: the traffic, its hooks, and the reference server when no host is given.

    locust --headless -u 200 -r 50 -t 1m                       # every HTTP user, embedded server
    locust --headless -u 200 -r 50 -t 1m --host http://127.0.0.1:8080
    locust --headless -u 50 -t 5m --tags write --shape step    # writers only, stepping up
    locust --headless -u 1 -t 30s --tags hostile --host URL    # the hostile-input probe (never by default)

It holds no logic of its own: traffic lives in ``users/``, the monitor and alerter in ``monitors/``,
the embedded server in ``target/``.
"""

from locust import events

import monitors
from target import embedded
from users import hooks
from users.dumper import DumpUser
from users.hostile import HostileProbe
from users.large import LargePayloadUser
from users.mixed import MixedUser
from users.reader import ContextReader
from users.socketio_users import SocketIOSubscriber, SocketIOWriter
from users.writer import ContextWriter

__all__ = [
    "ContextReader",
    "ContextWriter",
    "MixedUser",
    "DumpUser",
    "LargePayloadUser",
    "SocketIOSubscriber",
    "SocketIOWriter",
    "HostileProbe",
]

monitors.register(events)  # first: Locust fires `quitting` in reverse, so the verdict follows the write audit
hooks.register(events)
events.init.add_listener(embedded.start_when_no_host)

"""ctxload's composition root: the traffic, and the reference server when no host is given.

    locust --headless -u 200 -r 50 -t 1m                     # against the embedded server
    locust --headless -u 200 -r 50 -t 1m --host http://127.0.0.1:8080

It holds no logic of its own: traffic lives in ``users/``, the embedded server in ``target/``.
"""

from locust import events

from target import embedded
from users.read_write import ReadWriteUser

__all__ = ["ReadWriteUser"]

events.init.add_listener(embedded.start_when_no_host)

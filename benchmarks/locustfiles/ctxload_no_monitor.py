"""ctxload's HTTP users and traffic hooks, as ``locustfile.py`` wires them, without the monitor.

The "monitor off" side of ``python -m benchmarks monitor-overhead``: the same users, options,
write ledger, read-after-write checks and write audit, but no ``monitors.register``, so no
sampling loop, server poll or alerter. It needs ``--host`` (no embedded server).
"""

from locust import events

from users import hooks
from users.mixed import MixedUser
from users.reader import ContextReader
from users.writer import ContextWriter

__all__ = ["ContextReader", "ContextWriter", "MixedUser"]

hooks.register(events)

"""ctxload's HTTP users and traffic hooks, as ``locustfile.py`` wires them, without the monitor.

The "monitor off" side of ``python -m benchmarks monitor-overhead``: the same users, options,
write ledger, read-after-write checks and write audit, but no ``monitors.register``, so no
sampling loop, server poll or alerter. It needs ``--host`` (no embedded server).
"""

from locust import events

from traffic import hooks as traffic_hooks
from traffic.mixed import MixedUser
from traffic.reader import ContextReader
from traffic.writer import ContextWriter
from verification import hooks as verification_hooks

__all__ = ["ContextReader", "ContextWriter", "MixedUser"]

traffic_hooks.register(events)
verification_hooks.register(events)

"""Wire the verification's listeners onto an ``Events`` object, in one place.

The locustfile calls ``register(events)`` with Locust's global events; tests call it with the
``Events`` of an ``Environment`` they build, so both run the same hooks:

* the write ledger, fresh at each test start (``verification.ledger``);
* push delivery accounting for Socket.IO sessions (``verification.delivery``), registered before
  the audit: a worker's push counts go to the master ahead of its audit;
* the target watch: outages logged, restarts that lost data found (``verification.target_watch``);
* the write audit at test stop (``verification.audit``).
"""

from common.run import Run
from verification.audit import WriteAudit
from verification.delivery import PushDelivery
from verification.ledger import WriteLedger
from verification.target_watch import TargetWatch


def new_ledger(environment, **_kwargs) -> None:
    """A ``test_start`` listener: each test starts with an empty write ledger and a new run tag."""
    Run.of(environment).put(WriteLedger())


def register(events) -> None:
    events.init.add_listener(PushDelivery.register)
    events.init.add_listener(TargetWatch.register)
    events.init.add_listener(WriteAudit.register)
    events.test_start.add_listener(new_ledger)

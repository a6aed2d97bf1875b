"""Wire the traffic's Locust listeners onto an ``Events`` object, in one place.

The locustfile calls ``register(events)`` with Locust's global events; tests call it with the
``Events`` of an ``Environment`` they build, so both run the same hooks:

* ctxload's options (``users.options``) and their re-check at test start;
* the load shape (``users.shapes``) and the soak summary (``users.soak``);
* the write ledger and catalog, fresh at each test start; the write audit at test stop;
* push delivery accounting for Socket.IO sessions (``users.delivery``);
* paced-mode figures (``users.pacing``);
* dropping users that ``--tags`` left without tasks (``users.selection``).
"""

from users import audit, catalog, delivery, options, pacing, selection, shapes, soak
from users.ledger import reset_ledger


def register(events) -> None:
    events.init_command_line_parser.add_listener(options.add_arguments)
    events.init.add_listener(options.check_on_init)
    events.init.add_listener(selection.drop_users_without_tasks)
    events.init.add_listener(shapes.install)
    events.init.add_listener(soak.register)
    events.init.add_listener(delivery.register)  # before the audit: a worker's push counts go first
    events.init.add_listener(audit.register)
    events.init.add_listener(pacing.register)
    events.test_start.add_listener(options.check_on_test_start)
    events.test_start.add_listener(reset_ledger)
    events.test_start.add_listener(catalog.reset_catalog)

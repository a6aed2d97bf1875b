"""Wire the traffic's Locust listeners onto an ``Events`` object, in one place.

The locustfile calls ``register(events)`` with Locust's global events; tests call it with the
``Events`` of an ``Environment`` they build, so both run the same hooks:

* ctxload's options (``users.options``) and their re-check at test start;
* the load shape (``users.shapes``) and the soak summary (``users.soak``);
* the write ledger and catalog, fresh at each test start; the write audit at test stop;
* the target watch: outages logged, restarts that lost data found (``users.target_watch``);
* push delivery accounting for Socket.IO sessions (``users.delivery``);
* paced-mode figures (``users.pacing``); the hostile probe's summary (``users.hostile_report``);
* dropping users that ``--tags`` left without tasks (``users.selection``).
"""

from users import audit, catalog, delivery, hostile_report, options, pacing, selection, shapes, soak, target_watch
from users.ledger import reset_ledger


def register(events) -> None:
    events.init_command_line_parser.add_listener(options.add_arguments)
    events.init.add_listener(options.check_on_init)
    events.init.add_listener(selection.drop_users_without_tasks)
    events.init.add_listener(shapes.install)
    events.init.add_listener(soak.register)
    events.init.add_listener(delivery.register)  # before the audit: a worker's push counts go first
    events.init.add_listener(target_watch.register)
    events.init.add_listener(audit.register)
    events.init.add_listener(hostile_report.register)
    events.init.add_listener(pacing.register)
    events.test_start.add_listener(options.check_on_test_start)
    events.test_start.add_listener(reset_ledger)
    events.test_start.add_listener(catalog.reset_catalog)

"""Wire the traffic's Locust listeners onto an ``Events`` object, in one place.

The locustfile calls ``register(events)`` with Locust's global events; tests call it with the
``Events`` of an ``Environment`` they build, so both run the same hooks:

* ctxload's options (``common.settings``) and their re-check at test start;
* dropping users that ``--tags`` left without tasks (``traffic.selection``);
* the load shape (``traffic.shapes``) and the soak summary (``traffic.soak``);
* paced-mode figures (``traffic.pacing``); the catalog, fresh at each test start.

The verification (``verification.hooks``) and the hostile probe's summary (``hostile.report``)
register their own.
"""

from common.run import Run
from common.settings import Settings
from traffic import selection, shapes
from traffic.catalog import CatalogSeeds
from traffic.pacing import PacedFigures
from traffic.soak import SoakSummary


def new_catalog(environment, **_kwargs) -> None:
    """A ``test_start`` listener: each process writes the catalog keys again in each test."""
    Run.of(environment).put(CatalogSeeds())


def register(events) -> None:
    events.init_command_line_parser.add_listener(Settings.add_arguments)
    events.init.add_listener(Settings.check_on_init)
    events.init.add_listener(selection.drop_users_without_tasks)
    events.init.add_listener(shapes.install)
    events.init.add_listener(SoakSummary.register)
    events.init.add_listener(PacedFigures.register)
    events.test_start.add_listener(Settings.check_on_test_start)
    events.test_start.add_listener(new_catalog)

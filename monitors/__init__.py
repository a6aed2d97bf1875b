"""Monitors: the live resource monitor and threshold alerter, wired by Locust's event hooks only.

Register from the locustfile, before the traffic's hooks (see ``monitors.hooks``)::

    import monitors
    monitors.register(events)

Layout: ``options`` (CLI), ``resources`` (psutil), ``figures`` (Locust's stats), ``server_view``
(``GET /ctx/all``), ``generators`` (this process / workers' reports), ``snapshot`` and ``history``,
``metrics``, ``rules`` and ``alerts`` (pure), ``saturation`` (generator-bound), ``monitor`` (one
process's state), ``hooks`` (greenlets and events), ``webui``, ``export``, ``verdict`` (exit
code, JUnit). Monitors never import ``traffic/`` or ``verification/``: they learn what those know
from Locust events and rows named in ``common.names``.
"""

from monitors.hooks import register

__all__ = ["register"]

"""The shared catalog: ``--key-space`` keys that readers read, hot keys more than others.

Keys are ``<prefix>.catalog.<i>``. Reads follow a Pareto 80/20 rule: 80% go to the hot set,
the first ``--hot-share`` of the catalog, the rest to the other keys, uniformly within each part.
Each process writes a catalog key the first time one of its users picks it (the same value
everywhere, so workers agree), so the catalog exists without a slow seeding phase::

    index = pick(settings, rng)
    key = catalog_key(settings, index)
    Run.of(environment).get(CatalogSeeds).written(restarts)   # indexes this process has written

The seeds are forgotten at each test start, and after a target restart (it lost them).
"""

import random

from common.settings import Settings

HOT_READS = 0.8


def hot_size(settings: Settings) -> int:
    return min(settings.key_space, max(1, round(settings.key_space * settings.hot_share)))


def pick(settings: Settings, rng: random.Random) -> int:
    hot = hot_size(settings)
    if hot == settings.key_space or rng.random() < HOT_READS:
        return rng.randrange(hot)
    return rng.randrange(hot, settings.key_space)


def catalog_key(settings: Settings, index: int) -> str:
    return f"{settings.key_prefix}.catalog.{index}"


def catalog_value(index: int) -> dict:
    return {"catalog": index}


class CatalogSeeds:
    """The catalog indexes this process has written since the target last restarted."""

    def __init__(self):
        self._indexes: set[int] = set()
        self._restarts = 0

    def written(self, restarts: int) -> set[int]:
        """The indexes written, forgotten when ``restarts`` (the target watch's count) has grown."""
        if restarts != self._restarts:
            self._indexes, self._restarts = set(), restarts
        return self._indexes

"""Small reusable numbers for live users: the lowest one free, per run and kind.

Keys and session indexes built from them stay bounded when users come and go::

    slots = Run.of(environment).get(Slots)
    slot = slots.take("writer")       # 0, 1, 2, ... the lowest free
    slots.release("writer", slot)
"""

import itertools


class Slots:
    def __init__(self):
        self._taken: dict[str, set[int]] = {}

    def take(self, kind: str) -> int:
        taken = self._taken.setdefault(kind, set())
        slot = next(n for n in itertools.count() if n not in taken)
        taken.add(slot)
        return slot

    def release(self, kind: str, slot: int) -> None:
        self._taken.get(kind, set()).discard(slot)

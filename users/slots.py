"""Small reusable numbers for live users: the lowest one free, per environment and kind.

Keys and session indexes built from them stay bounded when users come and go::

    slot = take_slot(environment, "writer")     # 0, 1, 2, ... the lowest free
    release_slot(environment, "writer", slot)
"""

import itertools
import weakref

_slots: "weakref.WeakKeyDictionary[object, dict[str, set[int]]]" = weakref.WeakKeyDictionary()


def take_slot(environment, kind: str) -> int:
    taken = _slots.setdefault(environment, {}).setdefault(kind, set())
    slot = next(n for n in itertools.count() if n not in taken)
    taken.add(slot)
    return slot


def release_slot(environment, kind: str, slot: int) -> None:
    _slots.get(environment, {}).get(kind, set()).discard(slot)

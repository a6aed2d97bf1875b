"""The in-memory context and its change history, with no I/O.

Usage::

    store = ContextStore(history_limit=100_000)
    entry = store.set("k", {"n": 1}, who="me", timestamp=now())   # history entry or None; who: any JSON
    store.get("k")                  # -> {"n": 1}; None for an unknown key
    store.history(key="k")          # -> matching entries, oldest first

History records only real changes (the same value again adds nothing). It keeps at most
``history_limit`` entries, dropping the oldest, while ``total_changes`` counts every change.
The server runs on one event loop, so no locking is needed.
"""

from collections import deque
from datetime import datetime

DUMP_HISTORY_LENGTH = 10


def now() -> str:
    """Naive local ISO-8601 time with microseconds, as the production server writes it."""
    return datetime.now().isoformat(timespec="microseconds")


class ContextStore:
    def __init__(self, history_limit: int = 100_000):
        self.values: dict[str, object] = {}
        self._history: deque[dict] = deque(maxlen=history_limit)
        self.total_changes = 0
        self.dump_history: deque[dict] = deque(maxlen=DUMP_HISTORY_LENGTH)

    def get(self, key: str):
        return self.values.get(key)

    def set(self, key: str, value, who, timestamp: str) -> dict | None:
        """Store ``value``; return the history entry, or None when nothing changed."""
        before = self.values.get(key)
        self.values[key] = value
        if before is not None and before == value:
            return None
        entry = {"timestamp": timestamp, "key": key, "before": before, "after": value, "who": who}
        self.total_changes += 1
        if self._history.maxlen:
            self._history.append(entry)
        return entry

    def history(self, key: str | None = None, who: str | None = None) -> list[dict]:
        """Entries matching every given filter exactly, oldest first."""
        return [
            entry
            for entry in self._history
            if (key is None or entry["key"] == key) and (who is None or entry["who"] == who)
        ]

    @property
    def retained_changes(self) -> int:
        return len(self._history)

    def snapshot(self) -> dict:
        """A shallow copy of the context, safe to serialise while writes go on."""
        return dict(self.values)

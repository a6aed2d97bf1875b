"""The monitor's snapshot history, bounded by a count of snapshots or by age. No I/O.

Usage::

    history = History(max_snapshots=600)          # or History(max_seconds=3600)
    history.add({"time": 1763700000.0, ...})      # snapshots are dicts with a "time" (epoch seconds)
    history.last(minutes=5)                       # the snapshots of the last five minutes, oldest first
"""

from collections import deque


class History:
    def __init__(self, max_snapshots: int | None = None, max_seconds: float | None = None):
        if max_snapshots is None and max_seconds is None:
            raise ValueError("a history needs a bound: max_snapshots or max_seconds")
        self.max_seconds = max_seconds
        self._snapshots: deque[dict] = deque(maxlen=max_snapshots)
        self.dropped = 0

    def add(self, snapshot: dict) -> None:
        if self._snapshots.maxlen is not None and len(self._snapshots) == self._snapshots.maxlen:
            self.dropped += 1
        self._snapshots.append(snapshot)
        if self.max_seconds is not None:
            oldest_kept = snapshot["time"] - self.max_seconds
            while self._snapshots and self._snapshots[0]["time"] < oldest_kept:
                self._snapshots.popleft()
                self.dropped += 1

    def last(self, minutes: float | None = None) -> list[dict]:
        if minutes is None or not self._snapshots:
            return list(self._snapshots)
        since = self._snapshots[-1]["time"] - minutes * 60
        return [snapshot for snapshot in self._snapshots if snapshot["time"] >= since]

    @property
    def latest(self) -> dict | None:
        return self._snapshots[-1] if self._snapshots else None

    def __len__(self) -> int:
        return len(self._snapshots)

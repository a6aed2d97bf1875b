"""The push ledger: which subscribed sessions of this process must hear of each write. No I/O.

For every write this process makes while sessions are subscribed, ``expect`` notes which
sessions should receive its ``context_updated`` (all subscribed ones, except the writer's own
session for a Socket.IO write, which the server skips). ``receive`` judges each push a session
gets; ``expire`` settles the writes whose deadline has passed::

    ledger = PushLedger(deadline=5.0)
    ledger.subscribe(session_index)
    ledger.expect("k", value, acked_at=time.time(), sender=None)
    ledger.receive(session_index, "k", value, received_at)   # -> latency in seconds, or None
    ledger.expire(now)                                         # lost pushes, now settled

Sessions are small integers, and each write keeps two bitmaps (expected, delivered), so a write
costs bytes per thousand sessions rather than a set entry per session. A push is matched by key
and value (equality, stronger than a digest). Counters: ``expected``, ``delivered``, ``lost``,
``duplicated``, ``out_of_order`` (a session got an older write of a key after a newer one).
"""

import itertools
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field

RECENT_KEYS_PER_SESSION = 256
EARLY_KEEP_SECONDS = 2.0
EARLY_MAX = 10_000


@dataclass
class PendingWrite:
    key: str
    value: object
    order: int
    acked_at: float
    deadline: float
    expected: int  # bitmap of session indexes
    delivered: int = 0


@dataclass
class PushCounts:
    expected: int = 0
    delivered: int = 0
    lost: int = 0
    duplicated: int = 0
    out_of_order: int = 0

    def __add__(self, other: "PushCounts") -> "PushCounts":
        return PushCounts(*(a + b for a, b in zip(vars(self).values(), vars(other).values(), strict=True)))


@dataclass
class PushLedger:
    deadline: float = 5.0
    counts: PushCounts = field(default_factory=PushCounts)
    _subscribed: int = 0
    _pending: deque = field(default_factory=deque)
    _by_key: dict = field(default_factory=lambda: defaultdict(list))
    _order: itertools.count = field(default_factory=itertools.count)
    _latest_seen: dict = field(default_factory=dict)  # session -> OrderedDict(key -> order)
    # Pushes that arrived before their write's acknowledgement was processed here (the server
    # pushes as it answers, and the session's greenlet may run before the writer's).
    _early: deque = field(default_factory=deque)

    def subscribe(self, session: int) -> None:
        self._subscribed |= 1 << session

    def unsubscribe(self, session: int) -> None:
        self._subscribed &= ~(1 << session)
        self._latest_seen.pop(session, None)

    @property
    def subscribed(self) -> int:
        return bin(self._subscribed).count("1")

    def expect(self, key: str, value, acked_at: float, sender: int | None = None) -> list[float]:
        """A write of this process was acknowledged: every subscribed session but ``sender`` should hear.

        Returns the latencies of pushes of this write that had already arrived (zero or more).
        """
        expected = self._subscribed & ~(1 << sender) if sender is not None else self._subscribed
        if not expected:
            return []
        write = PendingWrite(key, value, next(self._order), acked_at, acked_at + self.deadline, expected)
        self._pending.append(write)
        self._by_key[key].append(write)
        self.counts.expected += bin(expected).count("1")
        early = [arrival for arrival in self._early if arrival[1] == key and arrival[2] == value]
        latencies = []
        for arrival in early:
            self._early.remove(arrival)
            latency = self._deliver(write, arrival[0], arrival[3])
            if latency is not None:
                latencies.append(latency)
        return latencies

    def receive(self, session: int, key: str, value, received_at: float) -> float | None:
        """Judge a push; return the latency from acknowledgement when it delivers an expected write."""
        candidates = self._by_key.get(key)
        write = next((w for w in reversed(candidates) if w.value == value), None) if candidates else None
        if write is None:
            # Not (yet) a known write of this process: keep it a moment, its ack may be on its way.
            self._early.append((session, key, value, received_at))
            while self._early and (
                len(self._early) > EARLY_MAX or self._early[0][3] < received_at - EARLY_KEEP_SECONDS
            ):
                self._early.popleft()
            return None
        return self._deliver(write, session, received_at)

    def _deliver(self, write: PendingWrite, session: int, received_at: float) -> float | None:
        if not write.expected >> session & 1:
            return None  # the session subscribed after the write
        if write.delivered >> session & 1:
            self.counts.duplicated += 1
            return None
        write.delivered |= 1 << session
        self.counts.delivered += 1
        seen = self._latest_seen.setdefault(session, OrderedDict())
        if seen.get(write.key, -1) > write.order:
            self.counts.out_of_order += 1
        else:
            seen[write.key] = write.order
            seen.move_to_end(write.key)
            if len(seen) > RECENT_KEYS_PER_SESSION:
                seen.popitem(last=False)
        return max(0.0, received_at - write.acked_at)

    def expire(self, now: float) -> int:
        """Settle writes past their deadline; return how many pushes were lost among them."""
        lost = 0
        while self._pending and self._pending[0].deadline <= now:
            write = self._pending.popleft()
            lost += bin(write.expected & ~write.delivered).count("1")
            writes = self._by_key[write.key]
            writes.remove(write)
            if not writes:
                del self._by_key[write.key]
        self.counts.lost += lost
        return lost

    def pending_pushes(self) -> int:
        """Pushes still awaited, not yet past their deadline."""
        return sum(bin(write.expected & ~write.delivered).count("1") for write in self._pending)

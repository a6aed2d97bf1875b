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
JOIN_GRACE_SECONDS = 1.0  # a session is not expected to hear writes acknowledged within this of its joining
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
    # (time, session) of recent subscriptions: a write acknowledged before a session joined may
    # not have been pushed to it, however late this process notes the acknowledgement.
    _recent_subscriptions: deque = field(default_factory=deque)

    def subscribe(self, session: int, at: float | None = None) -> None:
        """``session`` hears pushes from now on (``at``: when its connection was acknowledged)."""
        self._subscribed |= 1 << session
        if at is not None:
            self._recent_subscriptions.append((at, session))

    def unsubscribe(self, session: int) -> None:
        """The session is gone (closed or dropped): it is no longer expected to hear anything."""
        bit = 1 << session
        self._subscribed &= ~bit
        self._latest_seen.pop(session, None)
        for write in self._pending:
            if write.expected & bit and not write.delivered & bit:
                write.expected &= ~bit
                self.counts.expected -= 1

    @property
    def subscribed(self) -> int:
        return bin(self._subscribed).count("1")

    def expect(
        self, key: str, value, acked_at: float, sender: int | None = None, sent_at: float | None = None
    ) -> list[float]:
        """A write of this process was acknowledged: every subscribed session but ``sender`` should hear.

        ``sent_at`` is when the write was sent: only sessions that joined before it are sure to
        get its push (without it, those that joined more than a second before the ack).

        Returns the latencies of pushes of this write that had already arrived (zero or more).
        """
        expected = self._subscribed & ~(1 << sender) if sender is not None else self._subscribed
        while self._recent_subscriptions and self._recent_subscriptions[0][0] < acked_at - JOIN_GRACE_SECONDS - 5:
            self._recent_subscriptions.popleft()
        joined_by = sent_at if sent_at is not None else acked_at - JOIN_GRACE_SECONDS
        for subscribed_at, session in self._recent_subscriptions:
            # The ack and the join travel on different sockets and may be read late on a busy
            # generator: only a session that had joined when the write was sent surely gets it.
            if subscribed_at > joined_by:
                expected &= ~(1 << session)
        if not expected:
            return []
        write = PendingWrite(key, value, next(self._order), acked_at, acked_at + self.deadline, expected)
        self._pending.append(write)
        self._by_key[key].append(write)
        self.counts.expected += bin(expected).count("1")
        latencies = []
        for arrival in [a for a in self._early if a[1] == key and a[2] == value]:
            session = arrival[0]
            if not write.expected >> session & 1 or write.delivered >> session & 1:
                continue  # not for this write, or a second identical push: it may be the next write's
            self._early.remove(arrival)
            latencies.append(self._deliver(write, session, arrival[3]))
        return latencies

    def receive(self, session: int, key: str, value, received_at: float) -> float | None:
        """Judge a push; return the latency from acknowledgement when it delivers an expected write."""
        same = [w for w in self._by_key.get(key, ()) if w.value == value]
        # Identical writes (two users writing the same value to a key) each expect a push: match
        # the oldest one this session has not yet received, so that neither looks lost.
        write = next((w for w in same if w.expected >> session & 1 and not w.delivered >> session & 1), None)
        if write is not None:
            return self._deliver(write, session, received_at)
        # Not (yet) a known write of this process, or one this session already heard: keep it a
        # moment, its acknowledgement (or that of an identical write) may be on its way. If it is
        # still unmatched when it ages out, a push already received was received again.
        already_heard = bool(same) and all(w.expected >> session & 1 and w.delivered >> session & 1 for w in same)
        self._early.append((session, key, value, received_at, already_heard))
        too_old = received_at - EARLY_KEEP_SECONDS
        while self._early and (len(self._early) > EARLY_MAX or self._early[0][3] < too_old):
            self.counts.duplicated += self._early.popleft()[4]
        return None

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

    def settle_early(self) -> None:
        """Count the pushes still held as early that repeat one already received (at test stop)."""
        self.counts.duplicated += sum(entry[4] for entry in self._early)
        self._early.clear()

    def pending_pushes(self) -> int:
        """Pushes still awaited, not yet past their deadline."""
        return sum(bin(write.expected & ~write.delivered).count("1") for write in self._pending)

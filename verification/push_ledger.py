"""The push ledger: which subscribed sessions of this process must hear of each write, and when they did. No I/O.

A write is noted *before* it is sent, so a push that reaches a subscriber before the writer has its answer (the
production server broadcasts before it answers) is matched at once. Times are ``time.perf_counter()``: one
monotonic clock for the send and every receipt::

    ledger = PushLedger(deadline=5.0, figures=PushFigures())
    ledger.subscribe(session_index, at=time.perf_counter())
    write = ledger.expect("k", value, sent_at=time.perf_counter(), sender=None)   # just before sending it
    ledger.cancel(write)                                          # if it was not acknowledged
    ledger.receive(session_index, "k", value, time.perf_counter())   # a push: its latency goes to the figures
    ledger.expire(time.perf_counter())                            # settle writes past their deadline

Who is expected: every session subscribed when the write was sent (a session that joins later may or may not
get it), except the writer's own session for a Socket.IO write (the server skips it). A push is matched by key
and value (equality, stronger than a digest); identical writes each expect a push, and a push goes to the oldest
one that session has not heard. Sessions are small integers and each write keeps two bitmaps (expected,
delivered): bytes per thousand sessions, not a set entry per session. Every count and histogram is in
``figures`` (``verification.push_figures``): a push's latency runs from the write's sending to its receipt.
"""

import itertools
from collections import OrderedDict, defaultdict, deque
from dataclasses import dataclass, field

from verification.push_figures import PushFigures

RECENT_KEYS_PER_SESSION = 256


@dataclass(eq=False)
class PendingWrite:
    key: str
    value: object
    order: int
    sent_at: float
    deadline: float
    expected: int  # bitmap of session indexes
    delivered: int = 0
    last_at: float = 0.0  # when the latest expected session got it
    cancelled: bool = False


@dataclass
class PushLedger:
    deadline: float = 5.0
    figures: PushFigures = field(default_factory=PushFigures)
    _subscribed: int = 0
    _joined: dict = field(default_factory=dict)  # session -> when it subscribed
    _pending: deque = field(default_factory=deque)
    _by_key: dict = field(default_factory=lambda: defaultdict(list))
    _order: itertools.count = field(default_factory=itertools.count)
    _latest_seen: dict = field(default_factory=dict)  # session -> OrderedDict(key -> order)
    _expired: dict = field(default_factory=dict)  # (key, repr(value)) -> deadline + grace: late pushes are told apart
    _unjudged_keys: set = field(default_factory=set)  # keys this process writes expecting no push (the catalog)

    # -- sessions -----------------------------------------------------------------------------------------------
    def subscribe(self, session: int, at: float) -> None:
        """``session`` hears pushes from ``at`` on (when its connection was acknowledged)."""
        self._subscribed |= 1 << session
        self._joined[session] = at

    def unsubscribe(self, session: int) -> None:
        """The session is gone (closed or dropped): it is no longer expected to hear anything."""
        bit = 1 << session
        self._subscribed &= ~bit
        self._joined.pop(session, None)
        self._latest_seen.pop(session, None)
        for write in self._pending:
            if write.expected & bit and not write.delivered & bit:
                write.expected &= ~bit
                self.figures.count("expected", -1)
                self._complete_if_done(write)

    @property
    def subscribed(self) -> int:
        return self._subscribed.bit_count()

    # -- writes -------------------------------------------------------------------------------------------------
    def expect(self, key: str, value, sent_at: float, sender: int | None = None) -> PendingWrite | None:
        """A write of this process is about to be sent: every subscribed session but ``sender`` should hear it.

        Returns the pending write (None when no session is expected), to ``cancel`` if it is not acknowledged.
        """
        expected = self._subscribed & ~(1 << sender) if sender is not None else self._subscribed
        if not expected:
            return None
        write = PendingWrite(key, value, next(self._order), sent_at, sent_at + self.deadline, expected, 0, sent_at)
        self._pending.append(write)
        self._by_key[key].append(write)
        self.figures.count("expected", expected.bit_count())
        return write

    def unjudged(self, key: str) -> None:
        """Pushes of ``key`` are not judged: every process writes it alike (the catalog): whose is whose?"""
        self._unjudged_keys.add(key)

    def cancel(self, write: PendingWrite | None) -> None:
        """The write was not acknowledged (it failed, or timed out): nothing is expected of it any more."""
        if write is None or write.cancelled:
            return
        write.cancelled = True
        self.figures.count("expected", -(write.expected & ~write.delivered).bit_count())
        write.expected = write.delivered
        self._forget(write)

    def receive(self, session: int, key, value, received_at: float) -> None:
        """Judge a push a session got: a delivery (its latency recorded), a duplicate, a late or a foreign push."""
        bit = 1 << session
        pending = self._by_key.get(key)
        write = None
        if pending:
            for candidate in pending:  # the oldest write of this value the session has not heard (the hot path)
                if candidate.expected & bit and not candidate.delivered & bit and candidate.value == value:
                    write = candidate
                    break
        if write is None:
            self._unmatched(bit, key, value, pending or (), received_at)
            return
        write.delivered |= bit
        write.last_at = received_at
        self.figures.delivered(received_at - write.sent_at)
        seen = self._latest_seen.get(session)
        if seen is None:
            seen = self._latest_seen[session] = OrderedDict()
        if seen.get(write.key, -1) > write.order:
            self.figures.count("out_of_order")
        else:
            seen[write.key] = write.order
            seen.move_to_end(write.key)
            if len(seen) > RECENT_KEYS_PER_SESSION:
                seen.popitem(last=False)
        if write.delivered == write.expected:
            self._complete_if_done(write)

    def _unmatched(self, bit: int, key, value, pending, received_at: float) -> None:
        if key in self._unjudged_keys:
            self.figures.count("unjudged")
            return
        heard = any(w.delivered & bit and w.value == value for w in pending)
        late = not heard and bool(self._expired) and self._expired.get((key, repr(value)), 0.0) >= received_at
        self.figures.count("duplicated" if heard else "late" if late else "foreign")

    def _complete_if_done(self, write: PendingWrite) -> None:
        if write.expected and write.delivered == write.expected and not write.cancelled:
            count = write.expected.bit_count()
            self.figures.settled(count, count, write.last_at - write.sent_at)
            write.cancelled = True  # settled: it stays only to tell duplicates until its deadline
            self._forget(write, keep_for_duplicates=True)

    def _forget(self, write: PendingWrite, keep_for_duplicates: bool = False) -> None:
        if keep_for_duplicates:
            return  # removed when its deadline passes (expire), so that a second copy reads as a duplicate
        writes = self._by_key.get(write.key)
        if writes and write in writes:
            writes.remove(write)
            if not writes:
                del self._by_key[write.key]

    def expire(self, now: float) -> int:
        """Settle writes past their deadline; return how many pushes were lost among them."""
        lost = 0
        while self._pending and self._pending[0].deadline <= now:
            write = self._pending.popleft()
            if not write.cancelled:
                missing = (write.expected & ~write.delivered).bit_count()
                lost += missing
                expected = write.expected.bit_count()
                self.figures.settled(expected, expected - missing, None)
                self._expired[(write.key, repr(write.value))] = now + self.deadline
            self._forget(write)
        for key in [key for key, until in self._expired.items() if until < now]:
            del self._expired[key]
        self.figures.count("lost", lost)
        return lost

    def pending_pushes(self) -> int:
        """Pushes still awaited, not yet past their deadline."""
        return sum((w.expected & ~w.delivered).bit_count() for w in self._pending if not w.cancelled)

"""The write ledger: every acknowledged write of this process, and how to judge a read-back.

One ledger per run (``Run.of(environment).get(WriteLedger)``), started afresh at each test start
(``verification.hooks``). Pure bookkeeping, no I/O::

    ledger.record(key, value, acked_at=time.time())
    ledger.judge(key, value_read_back)    # "verified" | "lost" | "changed_by_others"

A key is judged by its last acknowledged write: the value read back must be that write, or a
later write of this run whose acknowledgement never arrived (a request cut off when the test
stopped). A missing value, or an older value of this run, means the write was lost; any other
value was written by someone else. A lost write that this run overwrote later cannot be seen
by any read-back, so the audit counts keys, not writes.
"""

import random
import secrets
from dataclasses import dataclass, field

from verification.values import digest, written_by

VERIFIED, LOST, CHANGED = "verified", "lost", "changed_by_others"


@dataclass
class LedgerEntry:
    digest: str
    acked_at: float
    seq: int | None = None
    writes: int = 1


def _seq(value) -> int | None:
    seq = value.get("seq") if isinstance(value, dict) else None
    return seq if isinstance(seq, int) else None


@dataclass
class WriteLedger:
    run_tag: str = field(default_factory=lambda: secrets.token_hex(4))
    acknowledged: int = 0
    _entries: dict[str, LedgerEntry] = field(default_factory=dict)
    _keys: list[str] = field(default_factory=list)

    def record(self, key: str, value, acked_at: float) -> str:
        """Record an acknowledged write; return the value's digest (computed once, for the caller too)."""
        self.acknowledged += 1
        value_digest = digest(value)
        entry = self._entries.get(key)
        if entry is None:
            self._entries[key] = LedgerEntry(value_digest, acked_at, _seq(value))
            self._keys.append(key)
        else:
            entry.digest, entry.acked_at, entry.seq = value_digest, acked_at, _seq(value)
            entry.writes += 1
        return value_digest

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, key: str) -> bool:
        return key in self._entries

    def keys(self) -> list[str]:
        return list(self._keys)

    def sample(self, count: int, rng: random.Random) -> list[str]:
        """``count`` keys at random (all of them when there are no more than ``count``)."""
        return list(self._keys) if count >= len(self._keys) else rng.sample(self._keys, count)

    def acked_at(self, key: str) -> float:
        """When the last acknowledged write of ``key`` was acknowledged (epoch seconds)."""
        return self._entries[key].acked_at

    def random_key(self, rng: random.Random) -> str | None:
        return rng.choice(self._keys) if self._keys else None

    def judge(self, key: str, value) -> str:
        entry = self._entries.get(key)
        if value is not None and entry is not None and digest(value) == entry.digest:
            return VERIFIED
        if written_by(value, self.run_tag):
            later = entry is not None and entry.seq is not None and (_seq(value) or -1) > entry.seq
            return VERIFIED if later else LOST
        return LOST if value is None else CHANGED

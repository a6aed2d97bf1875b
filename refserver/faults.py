"""Fault injection for the reference server: testing aids, all off by default.

* latency: every REST response and every Socket.IO reply waits ``N`` ms, plus or minus a
  uniform jitter of up to ``J`` ms (never below zero);
* errors: a REST request is answered ``500`` with probability ``error_rate`` (nothing is done);
* dropped writes: a write is acknowledged and broadcast but not stored, with ``drop_write_rate``;
* dropped pushes: each ``context_updated`` to each subscriber is skipped with ``drop_push_rate``.

What was injected is counted in ``FaultInjector.counts`` and served at ``GET /_faults`` so that
tests can compare what the suite measured with what the server did.

Usage::

    faults = FaultInjector(FaultSettings(latency=LatencySpec.parse("50:10"), error_rate=0.01))
    await faults.delay()
    if faults.inject_error(): ...
"""

import asyncio
import random
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LatencySpec:
    mean_ms: float = 0.0
    jitter_ms: float = 0.0

    @classmethod
    def parse(cls, text: str) -> "LatencySpec":
        """Parse ``N`` or ``N:JITTER`` (milliseconds, both >= 0); raise ValueError otherwise."""
        mean, _, jitter = str(text).partition(":")
        try:
            spec = cls(float(mean), float(jitter) if jitter else 0.0)
        except ValueError:
            raise ValueError(f"expected N or N:JITTER in milliseconds, got {text!r}") from None
        if not (spec.mean_ms >= 0 and spec.jitter_ms >= 0) or spec.mean_ms == float("inf"):
            raise ValueError(f"latency and jitter must be finite and >= 0, got {text!r}")
        return spec

    def sample_seconds(self, rng: random.Random) -> float:
        jitter = rng.uniform(-self.jitter_ms, self.jitter_ms) if self.jitter_ms else 0.0
        return max(0.0, self.mean_ms + jitter) / 1000.0


@dataclass(frozen=True)
class FaultSettings:
    latency: LatencySpec = field(default_factory=LatencySpec)
    error_rate: float = 0.0
    drop_write_rate: float = 0.0
    drop_push_rate: float = 0.0
    seed: int | None = None


class FaultInjector:
    def __init__(self, settings: FaultSettings):
        self.settings = settings
        self._rng = random.Random(settings.seed)
        self.counts = {"delayed": 0, "errors": 0, "dropped_writes": 0, "dropped_pushes": 0}

    @property
    def drops_pushes(self) -> bool:
        return self.settings.drop_push_rate > 0

    async def delay(self) -> None:
        latency = self.settings.latency
        if latency.mean_ms or latency.jitter_ms:
            self.counts["delayed"] += 1
            await asyncio.sleep(latency.sample_seconds(self._rng))

    def _happens(self, rate: float, counter: str) -> bool:
        if rate > 0 and self._rng.random() < rate:
            self.counts[counter] += 1
            return True
        return False

    def inject_error(self) -> bool:
        return self._happens(self.settings.error_rate, "errors")

    def drop_write(self) -> bool:
        return self._happens(self.settings.drop_write_rate, "dropped_writes")

    def drop_push(self) -> bool:
        return self._happens(self.settings.drop_push_rate, "dropped_pushes")

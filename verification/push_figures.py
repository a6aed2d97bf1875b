"""What the pushes of a run came to: counts, latency and fan-out histograms. Mergeable across workers, no I/O.

Filled by the push ledger (``verification.push_ledger``), summed on the master (``common.worker_figures``)::

    figures = PushFigures()
    figures.delivered(0.0031)                 # a push received 3.1 ms after its write was sent
    figures.settled(expected=5, delivered=5, fanout=0.0042)   # a write all 5 got, the last 4.2 ms after its send
    figures.latency_ms(0.95)                  # p95 of push latency, ms
    merged = PushFigures.from_dict(a.to_dict()) + b

Latencies are kept in HdrHistograms (``hdrhistogram``, the mergeable histogram of HdrHistogram's authors: merging
two is exact, unlike averaging their percentiles) in microseconds, 3 significant digits, from 1 us to 1 hour.

* ``latency``: per delivery, from the moment the write was sent (HTTP request start or ``context_set`` emit) to
  the moment the subscriber had the push, on one monotonic clock; never clamped.
* ``fanout``: per write that every expected subscriber got, the time until the last of them had it.
* ``reach``: per settled write, the share of expected subscribers that got it (``reach_percent`` is its mean).
* counts: expected, delivered, lost (past ``--push-deadline``), duplicated, out of order; pushes that match no
  write of this process (``foreign``: other workers' or other clients' writes, keys never written), that came
  after their write's deadline (``late``), events that could not be read (``malformed``), and pushes of keys
  every process writes alike (``unjudged``: the catalog). None of these is a latency sample.
"""

from dataclasses import dataclass, field

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US, HIGHEST_US, DIGITS = 1, 3_600_000_000, 3
COUNTS = ("expected", "delivered", "lost", "duplicated", "out_of_order", "foreign", "late", "malformed", "unjudged",
          "writes_settled", "writes_complete")  # fmt: skip


def _histogram() -> HdrHistogram:
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


@dataclass
class PushFigures:
    latency: HdrHistogram = field(default_factory=_histogram)
    fanout: HdrHistogram = field(default_factory=_histogram)
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    latency_total_ms: float = 0.0  # the sum, for an exact mean
    fanout_total_ms: float = 0.0
    reach_total: float = 0.0  # sum over settled writes of delivered / expected
    reach_lowest: float = 1.0
    # Latencies not yet in the histogram: hdrh records one value in ~2.4 us of Python, a third of what a
    # subscriber's whole push costs; appended here and recorded in bulk, one call per distinct value.
    _unrecorded: list = field(default_factory=list)

    # -- recording (the push ledger) --------------------------------------------------------------------------
    def delivered(self, seconds: float) -> None:
        self.counts["delivered"] += 1
        self.latency_total_ms += seconds * 1000
        self._unrecorded.append(seconds)
        if len(self._unrecorded) >= 100_000:
            self.flush()

    def flush(self) -> None:
        """Move the latencies kept aside into the histogram, rounded to its own 3 significant digits first."""
        if not self._unrecorded:
            return
        values = np.clip(np.rint(np.array(self._unrecorded) * 1e6), LOWEST_US, HIGHEST_US)
        self._unrecorded.clear()
        scale = 10 ** np.maximum(np.floor(np.log10(values)) - (DIGITS - 1), 0)
        distinct, counts = np.unique(np.floor(values / scale) * scale, return_counts=True)
        for value, count in zip(distinct.tolist(), counts.tolist(), strict=True):
            self.latency.record_value(int(value), count)

    def settled(self, expected: int, delivered: int, fanout: float | None) -> None:
        """A write whose deadline passed (or whose every expected subscriber got it)."""
        self.counts["writes_settled"] += 1
        reach = delivered / expected if expected else 1.0
        self.reach_total += reach
        self.reach_lowest = min(self.reach_lowest, reach)
        if fanout is not None:
            self.counts["writes_complete"] += 1
            self.fanout_total_ms += fanout * 1000
            self.fanout.record_value(max(LOWEST_US, min(HIGHEST_US, round(fanout * 1e6))))

    def count(self, name: str, number: int = 1) -> None:
        self.counts[name] += number

    # -- reading ----------------------------------------------------------------------------------------------
    def latency_ms(self, share: float) -> float | None:
        """The ``share`` percentile of push latency (0.95: p95), ms; None without a delivery."""
        self.flush()
        return self.latency.get_value_at_percentile(share * 100) / 1000 if self.counts["delivered"] else None

    def fanout_ms(self, share: float) -> float | None:
        return self.fanout.get_value_at_percentile(share * 100) / 1000 if self.counts["writes_complete"] else None

    @property
    def mean_latency_ms(self) -> float | None:
        return self.latency_total_ms / self.counts["delivered"] if self.counts["delivered"] else None

    @property
    def mean_fanout_ms(self) -> float | None:
        return self.fanout_total_ms / self.counts["writes_complete"] if self.counts["writes_complete"] else None

    @property
    def reach_percent(self) -> float | None:
        settled = self.counts["writes_settled"]
        return 100.0 * self.reach_total / settled if settled else None

    def monitor_figures(self) -> dict:
        """What the monitor's rules and web UI read (``common.names.GAUGE_PUSH``); None where not measured."""
        return {
            "push_p50_ms": self.latency_ms(0.50),
            "push_p95_ms": self.latency_ms(0.95),
            "push_p99_ms": self.latency_ms(0.99),
            "push_reach_percent": self.reach_percent,
            "fanout_p95_ms": self.fanout_ms(0.95),
            "lost_pushes": self.counts["lost"] if self.counts["expected"] else None,
            "pushes_delivered": self.counts["delivered"],
        }

    # -- merging (workers to the master) ----------------------------------------------------------------------
    def __add__(self, other: "PushFigures") -> "PushFigures":
        merged = PushFigures()
        for source in (self, other):
            source.flush()
            merged.latency.add(source.latency)
            merged.fanout.add(source.fanout)
            for name in COUNTS:
                merged.counts[name] += source.counts[name]
            merged.latency_total_ms += source.latency_total_ms
            merged.fanout_total_ms += source.fanout_total_ms
            merged.reach_total += source.reach_total
        merged.reach_lowest = min(self.reach_lowest, other.reach_lowest)
        return merged

    def to_dict(self) -> dict:
        self.flush()
        return {
            "latency": self.latency.encode().decode("ascii") if self.counts["delivered"] else "",
            "fanout": self.fanout.encode().decode("ascii") if self.counts["writes_complete"] else "",
            "counts": dict(self.counts),
            "latency_total_ms": self.latency_total_ms,
            "fanout_total_ms": self.fanout_total_ms,
            "reach_total": self.reach_total,
            "reach_lowest": self.reach_lowest,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "PushFigures":
        figures = cls(counts={**dict.fromkeys(COUNTS, 0), **data["counts"]})
        for name in ("latency", "fanout"):
            if data[name]:
                getattr(figures, name).add(HdrHistogram.decode(data[name].encode("ascii")))
        figures.latency_total_ms = data["latency_total_ms"]
        figures.fanout_total_ms = data["fanout_total_ms"]
        figures.reach_total = data["reach_total"]
        figures.reach_lowest = data["reach_lowest"]
        return figures

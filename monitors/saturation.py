"""Generator saturation: a load generator whose CPU stays above 90% measures itself. No I/O.

Usage (once per snapshot)::

    watch = SaturationWatch()
    message = watch.observe({"local": 97.0}, now)   # generator name -> CPU % of one core
    if message: logger.warning(message)             # said once per generator
    watch.bound                                     # True from then on: the run is "generator-bound"

Once a generator has been above the line for ``seconds`` in a row, the run is marked for good:
its latencies were then partly the generator's own queueing, not the target's.
"""

SATURATION_PERCENT = 90.0
SATURATION_SECONDS = 10.0


class SaturationWatch:
    def __init__(self, percent: float = SATURATION_PERCENT, seconds: float = SATURATION_SECONDS):
        self.percent = percent
        self.seconds = seconds
        self._above_since: dict[str, float] = {}
        self.bound_generators: dict[str, float] = {}  # generator -> when it was found bound

    @property
    def bound(self) -> bool:
        return bool(self.bound_generators)

    def observe(self, cpu_by_generator: dict[str, float | None], now: float) -> str | None:
        newly_bound = []
        for name, cpu in cpu_by_generator.items():
            if cpu is None or cpu <= self.percent:
                self._above_since.pop(name, None)
                continue
            since = self._above_since.setdefault(name, now)
            if now - since >= self.seconds and name not in self.bound_generators:
                self.bound_generators[name] = now
                newly_bound.append(name)
        if not newly_bound:
            return None
        return (
            f"GENERATOR-BOUND: {', '.join(newly_bound)} above {self.percent:.0f}% CPU for {self.seconds:.0f} s; "
            "from here on its latencies include its own queueing, not only the target's (add workers)"
        )

    def describe(self) -> str:
        if not self.bound:
            return f"no generator stayed above {self.percent:.0f}% CPU for {self.seconds:.0f} s"
        return "generator-bound: " + ", ".join(sorted(self.bound_generators))

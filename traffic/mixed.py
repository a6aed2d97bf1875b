"""``MixedUser``: 80% reads, 20% writes, the classic mix. Tags ``read`` and ``write``.

Writes go to its own keys; reads are split between read-backs of its own keys
(read-after-write), keys other users of this process wrote (they must exist), and the catalog.
"""

from locust import tag, task

from traffic.base import ContextUser
from verification.target_watch import TargetWatch


class MixedUser(ContextUser):
    kind = "mixed"
    weight = 4

    @tag("write")
    @task(20)
    def write_own_key(self):
        self.write(self.next_own_key(self.settings.key_space), self.new_value(self.settings.payload_bytes))

    @tag("read")
    @task(80)
    def read_some_key(self):
        roll = self.rng.random()
        if roll < 0.4 and self.last_written:
            self.read_back(self.rng.choice(list(self.last_written)))
        elif roll < 0.7 and len(self.ledger):
            key = self.ledger.random_key(self.rng)
            self.read(key, check=lambda value: self._missing_problem(key, value))
        else:
            self.read_catalog_key()

    def _missing_problem(self, key: str, value) -> str | None:
        if value is not None or TargetWatch.of(self.environment).in_doubt(self.ledger.acked_at(key)):
            return None  # there, or gone by a target restart (the write audit counts those)
        return "acknowledged key missing"

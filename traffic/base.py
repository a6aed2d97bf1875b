"""``ContextUser``: what every HTTP traffic shape shares. Subclass it to add a shape.

A subclass gets, after ``on_start``:

* ``self.settings``: the validated ctxload options (``common.settings.Settings``); ``self.run_state``:
  the run's state (``common.run.Run``);
* ``self.own_key(n)``: key ``n`` of this user's own namespace, ``<prefix>.<kind>.<worker>.<slot>.<n>``,
  where ``slot`` is the lowest number free among live users of the class in this process, so
  keys are reused across user churn instead of growing without bound; ``self.next_own_key(count)``
  cycles through ``count`` of them;
* ``self.write(key, value)``: ``POST /ctx``, checked, recorded in the write ledger;
* ``self.read(key)``: ``GET /ctx``, checked; ``self.read_back(key)`` also checks read-after-write;
* ``self.read_catalog_key()`` / ``self.read_missing_key()``: reads of the shared catalog (see
  ``traffic.catalog``) and of keys that do not exist;
* ``with self.timed("my step"):``: a step of its own as a row ``STEP my step`` (``traffic.timing``).

A minimal new shape::

    class BurstWriter(ContextUser):
        kind = "burst"

        @tag("write")
        @task
        def burst(self):
            for _ in range(10):
                self.write(self.next_own_key(10), self.new_value(self.settings.payload_bytes))

In paced mode (``--pace``) the wait between iterations is replaced by a fixed schedule (see
``traffic.pacing``). Traffic is only what the contract documents, with string keys, so it works
against the production server too.
"""

import random
import time

from locust import FastHttpUser, between

from common.run import Run
from traffic import catalog, pacing
from traffic.slots import Slots
from traffic.timing import TimedSteps
from verification.checks import json_body
from verification.delivery import cancel_write, note_write, unjudged_write
from verification.ledger import WriteLedger
from verification.target_watch import TargetWatch
from verification.values import digest, make_value, next_seq


class ContextUser(TimedSteps, FastHttpUser):
    abstract = True
    kind = "user"
    wait_time = between(0.5, 1.5)

    def __init__(self, environment):
        # FastHttpUser builds its client in __init__ from these two: set them from --request-timeout first.
        self.run_state = Run.of(environment)
        self.settings = self.run_state.settings
        self.network_timeout = self.connection_timeout = self.settings.request_timeout
        super().__init__(environment)

    def on_start(self):
        self.ledger = self.run_state.get(WriteLedger)
        self.rng = random.Random()
        self.slot = self.run_state.get(Slots).take(self.kind)
        self.worker = self.run_state.worker_index
        self.last_written: dict[str, tuple[str, float]] = {}  # key -> (digest, acked_at)
        self.writes = 0
        self.pacer = pacing.Pacer(self.settings.pace) if self.settings.pace else None
        if self.pacer:
            self.wait_time = self.pacer.wait

    def on_stop(self):
        self.run_state.get(Slots).release(self.kind, self.slot)

    def context(self) -> dict:
        return self.pacer.context() if self.pacer else {}

    def own_key(self, n: int) -> str:
        return f"{self.settings.key_prefix}.{self.kind}.{self.worker}.{self.slot}.{n}"

    def next_own_key(self, key_count: int) -> str:
        """The next of ``key_count`` own keys, round-robin (a new key each time until they wrap)."""
        key = self.own_key(self.writes % key_count)
        self.writes += 1
        return key

    def new_value(self, size: int) -> dict:
        return make_value(self.ledger.run_tag, next_seq(), size)

    def write(self, key: str, value, name: str = "POST /ctx", pushes_expected: bool = True) -> bool:
        """Write ``value``; on an acknowledged write, record it and return True.

        Its pushes are expected from the moment it is sent (``verification.delivery.note_write``);
        ``pushes_expected=False`` for values every process writes alike (the catalog): their pushes
        can't be told apart from another worker's.
        """
        self.last_written.pop(key, None)  # until acknowledged, this user doesn't know what is there
        body = {"key": key, "value": value, "who": f"{self.settings.key_prefix}.{self.kind}.{self.slot}"}
        noted = note_write(self.environment, key, value) if pushes_expected else unjudged_write(self.environment, key)
        with self.client.post("/ctx", json=body, name=name, catch_response=True) as response:
            reply = json_body(response, "key", "value", "timestamp")
            if reply is not None and reply["key"] != key:
                response.failure("acknowledged another key")
                reply = None
            if reply is None:
                cancel_write(self.environment, noted)
                return False
            acked_at = response.request_meta["start_time"] + response.request_meta["response_time"] / 1000
        value_digest = self.ledger.record(key, value, acked_at=acked_at)
        self.last_written[key] = (value_digest, acked_at)
        return True

    def read(self, key: str, name: str = "GET /ctx", check=None) -> tuple[bool, object]:
        """Read ``key``; return (ok, value). ``check(value)`` may return a failure message."""
        with self.client.get(f"/ctx?key={key}", name=name, catch_response=True) as response:
            reply = json_body(response, "key", "value", "timestamp")
            if reply is None:
                return False, None
            problem = "answered another key" if reply["key"] != key else check and check(reply["value"])
            if problem:
                response.failure(problem)
                return False, None
            return True, reply["value"]

    def read_catalog_key(self) -> None:
        """Read a catalog key, writing it first if this process has not yet (see ``traffic.catalog``)."""
        index = catalog.pick(self.settings, self.rng)
        key = catalog.catalog_key(self.settings, index)
        seeded = self.run_state.get(catalog.CatalogSeeds).written(TargetWatch.of(self.environment).restart_count)
        if index in seeded:
            self.read(key, check=self._catalog_problem)
        elif self.write(key, catalog.catalog_value(index), pushes_expected=False):
            seeded.add(index)

    def _catalog_problem(self, value) -> str | None:
        # After a restart the catalog is written again; until the watch has told, a missing key is no failure.
        if value is None and not TargetWatch.of(self.environment).in_doubt(time.time()):
            return "catalog key missing"
        return None

    def read_missing_key(self) -> None:
        key = f"{self.settings.key_prefix}.missing.{self.rng.getrandbits(48):012x}"
        self.read(key, check=lambda value: None if value is None else "missing key has a value")

    def read_back(self, key: str, name: str = "GET /ctx") -> bool:
        """Read ``key`` and check it holds what this user last wrote there (read-after-write)."""
        expected, acked_at = self.last_written.get(key, (None, 0.0))

        def matches_last_write(value) -> str | None:
            if expected is None or (value is None and TargetWatch.of(self.environment).in_doubt(acked_at)):
                return None  # nothing written yet, or gone by a target restart (the write audit counts those)
            if value is None or digest(value) != expected:
                return "read-after-write mismatch"
            return None

        return self.read(key, name, check=matches_last_write)[0]

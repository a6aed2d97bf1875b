"""Bare FastHttpUsers that make the requests ctxload's HTTP shapes make, and nothing else.

The baseline of ``python -m benchmarks http-overhead``: ``BareWriter``, ``BareReader`` and
``BareMixed`` mirror ``ContextWriter``, ``ContextReader`` and ``MixedUser`` (same weights, same
``between(0.5, 1.5)`` wait, same task weights, methods, paths, key names, JSON bodies of the same
size, the same request names), with none of the suite around them: no response checks, no
write ledger, no read-after-write, no event listeners of their own. Writes go to the keys the
suite's users of the same slots write, so both leave the server the same state.

Options, named as the suite's (so one command line serves both): ``--key-prefix``,
``--key-space``, ``--payload-bytes``.
"""

import itertools
import random
from collections import defaultdict

from locust import FastHttpUser, between, events, task

HOT_SHARE = 0.2  # the suite's defaults: --hot-share, --missing-share, 80% of catalog reads to hot keys
MISSING_SHARE = 0.1
HOT_READS = 0.8

_slots: dict[str, itertools.count] = defaultdict(itertools.count)
_sequence = itertools.count(1)
_written: dict[str, None] = {}  # every key this process wrote, as the suite's write ledger lists them
_written_list: list[str] = []
_seeded: set[int] = set()  # catalog keys this process wrote


@events.init_command_line_parser.add_listener
def _add_arguments(parser, **_kwargs):
    parser.add_argument("--key-prefix", default="ctxload", help="first part of every key (default ctxload)")
    parser.add_argument("--key-space", type=int, default=1000, help="catalog keys, and keys per writer (default 1000)")
    parser.add_argument("--payload-bytes", type=int, default=256, help="size of each written value (default 256)")


class BareUser(FastHttpUser):
    abstract = True
    kind = "user"
    wait_time = between(0.5, 1.5)

    def on_start(self):
        options = self.environment.parsed_options
        self.prefix, self.key_space, self.payload_bytes = options.key_prefix, options.key_space, options.payload_bytes
        self.rng = random.Random()
        self.slot = next(_slots[self.kind])
        self.writes = 0
        self.last_written: dict[str, None] = {}
        self.who = f"{self.prefix}.{self.kind}.{self.slot}"
        # A value like the suite's: {"run", "seq", "pad"} of --payload-bytes bytes in compact JSON.
        self.pad = "x" * max(0, self.payload_bytes - len('{"pad":"","run":"0123abcd","seq":1000000}'))

    def write(self, key: str, value) -> None:
        self.client.post("/ctx", json={"key": key, "value": value, "who": self.who}, name="POST /ctx")
        if key not in _written:
            _written[key] = None
            _written_list.append(key)

    def read(self, key: str) -> None:
        self.client.get(f"/ctx?key={key}", name="GET /ctx")

    def next_own_key(self) -> str:
        key = f"{self.prefix}.{self.kind}.0.{self.slot}.{self.writes % self.key_space}"
        self.writes += 1
        return key

    def write_own_key(self) -> None:
        key = self.next_own_key()
        self.write(key, {"run": "0123abcd", "seq": next(_sequence), "pad": self.pad})
        self.last_written[key] = None

    def catalog_index(self) -> int:
        hot = min(self.key_space, max(1, round(self.key_space * HOT_SHARE)))
        if hot == self.key_space or self.rng.random() < HOT_READS:
            return self.rng.randrange(hot)
        return self.rng.randrange(hot, self.key_space)

    def read_catalog_key(self) -> None:
        index = self.catalog_index()
        if index in _seeded:
            self.read(f"{self.prefix}.catalog.{index}")
        else:
            self.write(f"{self.prefix}.catalog.{index}", {"catalog": index})
            _seeded.add(index)


class BareWriter(BareUser):
    kind = "writer"
    weight = 2

    @task
    def write_task(self):
        self.write_own_key()


class BareReader(BareUser):
    kind = "reader"
    weight = 4

    @task(20)
    def read_key(self):
        if self.rng.random() < MISSING_SHARE:
            self.read(f"{self.prefix}.missing.{self.rng.getrandbits(48):012x}")
        else:
            self.read_catalog_key()

    @task(1)
    def read_everything(self):
        self.client.get("/ctx/all", name="GET /ctx/all")

    @task(2)
    def read_history(self):
        self.client.get(f"/ctx/history?key={self.prefix}.catalog.{self.catalog_index()}", name="GET /ctx/history")


class BareMixed(BareUser):
    kind = "mixed"
    weight = 4

    @task(20)
    def write_task(self):
        self.write_own_key()

    @task(80)
    def read_some_key(self):
        roll = self.rng.random()
        if roll < 0.4 and self.last_written:
            self.read(self.rng.choice(list(self.last_written)))
        elif roll < 0.7 and _written_list:
            self.read(self.rng.choice(_written_list))
        else:
            self.read_catalog_key()

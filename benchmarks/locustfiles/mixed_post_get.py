"""The contract's standard workload: each user alternates ``POST /ctx`` and ``GET /ctx``.

Bare FastHttpUser, no checks beyond the status code, no waiting: it measures the target.
"""

import itertools

from locust import FastHttpUser, constant, task

_user_numbers = itertools.count()


class MixedPostGet(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.key = f"bench.{next(_user_numbers)}"
        self.n = 0

    @task
    def write_then_read(self):
        self.n += 1
        self.client.post("/ctx", json={"key": self.key, "value": {"n": self.n}, "who": "bench"}, name="POST /ctx")
        self.client.get(f"/ctx?key={self.key}", name="GET /ctx")

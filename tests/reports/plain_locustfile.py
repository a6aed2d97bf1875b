"""A plain Locust file, no ctxload code: 20-ish FastHttpUsers reading and writing one key each.

What a team's own locustfile looks like; the regression verdicts are tested on its runs.
"""

import itertools

from locust import FastHttpUser, constant, task

_numbers = itertools.count()


class PlainUser(FastHttpUser):
    wait_time = constant(0.2)

    def on_start(self):
        self.key = f"plain.{next(_numbers)}"

    @task
    def write_then_read(self):
        self.client.post("/ctx", json={"key": self.key, "value": {"n": 1}}, name="POST /ctx")
        self.client.get(f"/ctx?key={self.key}", name="GET /ctx")

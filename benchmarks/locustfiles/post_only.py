"""The fan-out workload's writer: each user posts ``/ctx`` back to back, a new value every time.

Bare FastHttpUser, no checks beyond the status code, no waiting. Every value is new (a per-process
run id and a counter), so that the server's change count is the number of writes it broadcast.
"""

import itertools
import time

from locust import FastHttpUser, constant, task

RUN = time.time_ns()
_user_numbers = itertools.count()


class PostOnly(FastHttpUser):
    wait_time = constant(0)

    def on_start(self):
        self.key = f"fanout.{next(_user_numbers)}"
        self.n = 0

    @task
    def write(self):
        self.n += 1
        value = {"n": self.n, "run": RUN}
        self.client.post("/ctx", json={"key": self.key, "value": value, "who": "bench"}, name="POST /ctx")

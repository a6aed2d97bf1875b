"""``ReadWriteUser``: the simplest useful traffic, writes and read-backs of its own keys.

Each user writes JSON objects to a few keys of its own (``ctxload.rw.<user>.<n>``) and reads
them back; a read is a failure when the status is not 200, when the body is not the documented
shape, or when the value differs from what this user last wrote there (read-after-write).

Usage::

    locust -f locustfile.py --headless -u 50 -r 10 -t 1m
"""

import itertools
import random

from locust import FastHttpUser, between, task

KEYS_PER_USER = 10
_user_ids = itertools.count()


class ReadWriteUser(FastHttpUser):
    wait_time = between(0.5, 1.5)

    def on_start(self):
        self.prefix = f"ctxload.rw.{next(_user_ids)}"
        self.written: dict[str, dict] = {}
        self.serial = 0

    def _key(self) -> str:
        return f"{self.prefix}.{random.randrange(KEYS_PER_USER)}"

    @task(1)
    def write(self):
        key = self._key()
        self.serial += 1
        value = {"serial": self.serial, "payload": "x" * 64}
        with self.client.post(
            "/ctx", json={"key": key, "value": value, "who": self.prefix}, name="POST /ctx", catch_response=True
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif not _has_fields(response, "key", "value", "timestamp"):
                response.failure("unexpected response shape")
            else:
                self.written[key] = value

    @task(4)
    def read(self):
        key = random.choice(list(self.written)) if self.written else self._key()
        with self.client.get(f"/ctx?key={key}", name="GET /ctx", catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
            elif not _has_fields(response, "key", "value", "timestamp"):
                response.failure("unexpected response shape")
            elif key in self.written and response.json()["value"] != self.written[key]:
                response.failure("read-after-write mismatch")


def _has_fields(response, *fields: str) -> bool:
    try:
        body = response.json()
    except ValueError:
        return False
    return isinstance(body, dict) and all(field in body for field in fields)

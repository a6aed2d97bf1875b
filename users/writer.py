"""``ContextWriter``: writes JSON objects of ``--payload-bytes`` to its own keys. Tag ``write``.

It cycles through ``--key-space`` keys of its own namespace, attributing each write with
``who``; every acknowledged write goes into the ledger that the end-of-test audit checks.
"""

from locust import tag, task

from users.base import ContextUser


class ContextWriter(ContextUser):
    kind = "writer"
    weight = 2

    def on_start(self):
        super().on_start()
        self.writes = 0

    @tag("write")
    @task
    def write_own_key(self):
        key = self.own_key(self.writes % self.settings.key_space)
        self.writes += 1
        self.write(key, self.new_value(self.settings.payload_bytes))

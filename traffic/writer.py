"""``ContextWriter``: writes JSON objects of ``--payload-bytes`` to its own keys. Tag ``write``.

It cycles through ``--key-space`` keys of its own namespace, attributing each write with
``who``; every acknowledged write goes into the ledger that the end-of-test audit checks.
"""

from locust import tag, task

from traffic.base import ContextUser


class ContextWriter(ContextUser):
    kind = "writer"
    weight = 2

    @tag("write")
    @task
    def write_own_key(self):
        self.write(self.next_own_key(self.settings.key_space), self.new_value(self.settings.payload_bytes))

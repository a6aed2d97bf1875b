"""``ContextReader``: reads of the shared catalog (hot keys most), of missing keys, now and then
the whole context and a key's history. Tag ``read``.

Failures beyond the usual checks: a catalog key this process wrote reads back empty
(``catalog key missing``), or a key that should not exist has a value (``missing key has a value``).
"""

from locust import tag, task

from traffic import catalog
from traffic.base import ContextUser
from verification.checks import json_body


class ContextReader(ContextUser):
    kind = "reader"
    weight = 4

    @tag("read")
    @task(20)
    def read_key(self):
        if self.rng.random() < self.settings.missing_share:
            self.read_missing_key()
        else:
            self.read_catalog_key()

    @tag("read")
    @task(1)
    def read_everything(self):
        with self.client.get("/ctx/all", name="GET /ctx/all", catch_response=True) as response:
            body = json_body(response, "context", "history_count", "connected_clients", "timestamp")
            if body is not None and not isinstance(body["context"], dict):
                response.failure("context is not an object")

    @tag("read")
    @task(2)
    def read_history(self):
        key = catalog.catalog_key(self.settings, catalog.pick(self.settings, self.rng))
        with self.client.get(f"/ctx/history?key={key}", name="GET /ctx/history", catch_response=True) as response:
            body = json_body(response, "history", "total_entries", "filtered_entries", "timestamp")
            if body is not None and not isinstance(body["history"], list):
                response.failure("history is not a list")

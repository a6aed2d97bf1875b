"""``LargePayloadUser``: values from ``--large-min-bytes`` to ``--large-max-bytes``, read back. Tag ``large``.

Sizes are drawn log-uniformly (as many 1-10 KB values as 100 KB-1 MB ones) and written to four
keys of its own; each write is read back at once and must match (read-after-write). Write and
read rows are ``POST /ctx`` and ``GET /ctx``, like every other user's.
"""

import math

from locust import tag, task

from traffic.base import ContextUser

KEYS = 4


class LargePayloadUser(ContextUser):
    kind = "large"
    weight = 1

    def _size(self) -> int:
        low, high = math.log(self.settings.large_min_bytes), math.log(self.settings.large_max_bytes)
        return round(math.exp(self.rng.uniform(low, high)))

    @tag("large")
    @task
    def write_and_read_back(self):
        key = self.next_own_key(KEYS)
        if self.write(key, self.new_value(self._size())):
            self.read_back(key)

"""Traffic: Locust ``User`` classes, one traffic shape each, for the Context Server, and load shapes.

They speak only the documented API (``docs/api.md``), check status codes rather than bodies, and
write string keys only, so they work against the production server too. What they send and
receive is recorded into ``verification/`` (ledgers, push delivery, the target watch); they never
import ``monitors/``, which learns what it needs from Locust events (``common.names``).

Add a shape: subclass ``traffic.base.ContextUser`` (HTTP) and import it in ``locustfile.py``;
``with self.timed("my step"):`` times a step of your own (``traffic.timing``).
"""

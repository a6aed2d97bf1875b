"""Traffic: Locust ``User`` classes, one traffic shape each, for the Context Server.

They speak only the documented API (``shared/context-server-api.md``), check status codes rather
than bodies, and write string keys only, so they work against the production server too.
Users never import ``monitors/``: what monitors need travels as Locust events.
"""

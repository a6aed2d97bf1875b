"""The server's own view of itself: key count and connected clients, from ``GET /ctx/all``.

Usage::

    view = ServerView("http://127.0.0.1:8080")
    view.poll()     # {"keys": 5500, "clients": 12, "history_count": 9000, "polled": 1763700000.0}
                    # or {"error": "HTTP 500", "polled": ...} when the server can't say

``/ctx/all`` returns the whole context (it grows with the data), so the monitor polls it at its
own, lower rate (``--server-poll-interval``). These polls are not load: they use their own
connection and never appear in Locust's statistics.
"""

import json
import time

import orjson
import requests

TIMEOUT_SECONDS = 5.0


def _parse(content: bytes):
    # orjson: twice json's speed on a context of megabytes; json for the NaN/Infinity orjson refuses.
    try:
        return orjson.loads(content)
    except orjson.JSONDecodeError:
        return json.loads(content)


class ServerView:
    def __init__(self, host: str, timeout: float = TIMEOUT_SECONDS):
        self.url = host.rstrip("/") + "/ctx/all"
        self.timeout = timeout
        self._session = requests.Session()

    def poll(self) -> dict:
        polled = time.time()
        try:
            response = self._session.get(self.url, timeout=self.timeout)
        except requests.RequestException as exc:
            return {"error": type(exc).__name__, "polled": polled}
        if response.status_code != 200:
            return {"error": f"HTTP {response.status_code}", "polled": polled}
        try:
            body = _parse(response.content)
            context = body["context"]
            return {
                "keys": len(context),
                "clients": body.get("connected_clients"),
                "history_count": body.get("history_count"),
                "polled": polled,
            }
        except (ValueError, KeyError, TypeError):
            return {"error": "not the /ctx/all JSON of a Context Server", "polled": polled}

    def close(self) -> None:
        self._session.close()

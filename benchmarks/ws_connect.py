"""Opening many WebSocket sessions at once in the generator process, and how long each may take to connect.

Imported by ``benchmarks.ws_generator`` and its session modules, after gevent's monkey-patching::

    sessions, seconds = connect_all(count, make)   # make(index): a session; None or an exception: not kept
"""

import time

from gevent.pool import Pool

CONNECT_CONCURRENCY = 200
CONNECT_TIMEOUT = 60


def connect_all(count: int, make) -> tuple[list, float]:
    """Open ``count`` sessions, CONNECT_CONCURRENCY at a time; return those that connected."""
    sessions: list = []

    def one(index: int) -> None:
        try:
            session = make(index)
        except Exception:
            return
        if session is not None:
            sessions.append(session)

    started = time.monotonic()
    pool = Pool(CONNECT_CONCURRENCY)
    for index in range(count):
        pool.spawn(one, index)
    pool.join()
    return sessions, time.monotonic() - started

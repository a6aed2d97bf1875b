"""KIND ``ctxload`` of the WebSocket benchmarks: ``traffic.ws_session.SocketIOSession`` as a run's subscriber holds it.

Imported by ``benchmarks.ws_generator`` only for KIND ``ctxload`` (it imports Locust and the suite), after gevent's
monkey-patching::

    environment = ctxload_environment()      # a Locust Environment that keeps request statistics, without a runner
    make = ctxload_maker(url, environment)   # make(index): a connected, registered session, or None
    fanout = CtxloadFanout(url, receipts)    # in ``fanout``: make, alive, on_ack, start(), finish(result)

Sessions are connected and registered as the ``SocketIOSubscriber`` user holds them; in ``fanout`` their pushes go
through the push ledger and its figures, as in a run, and the result gets the ledger's counts and latencies.
"""

import time

import gevent
from locust.env import Environment
from locust.event import Events

from benchmarks.ws_connect import CONNECT_TIMEOUT
from traffic.ws_session import SocketIOSession
from verification.delivery import cancel_write, note_write, push_ledger_for


def ctxload_environment():
    environment = Environment(events=Events())

    def on_request(request_type, name, response_time, response_length, exception=None, **_kwargs):
        environment.stats.log_request(request_type, name, response_time, response_length)  # as Locust's runner does
        if exception:
            environment.stats.log_error(request_type, name, exception)

    environment.events.request.add_listener(on_request)
    return environment


def ctxload_maker(url: str, environment, session_class=None):
    session_class = session_class or SocketIOSession
    ledger = push_ledger_for(environment)

    def make(index: int):
        session = session_class(environment, url, index, ledger, name=f"s{index}", reply_timeout=CONNECT_TIMEOUT)
        if not session.connect():
            return None
        session.register()
        return session

    return make


class CtxloadFanout:
    """KIND ``ctxload`` in ``fanout``: sessions that note each push's value in the receipts; each acknowledged write
    expected by the push ledger, swept as a run sweeps it; the ledger's counts and latencies added to the result."""

    def __init__(self, url: str, receipts):
        class TimedSession(SocketIOSession):
            def received(self, key, value, received_at):
                receipts.note(self.index, value)
                super().received(key, value, received_at)

        self.environment = ctxload_environment()
        self.ledger = push_ledger_for(self.environment)
        self.make = ctxload_maker(url, self.environment, TimedSession)
        self.sweeper = None

    def on_send(self, key, value):
        return note_write(self.environment, key, value)

    def on_failed(self, handle) -> None:
        cancel_write(self.environment, handle)

    @staticmethod
    def alive(session) -> bool:
        return session.connected

    def start(self) -> None:
        self.sweeper = gevent.spawn(self.sweep)

    def sweep(self) -> None:  # as verification.delivery does in a run: settle writes past their deadline
        while True:
            gevent.sleep(0.5)
            self.ledger.expire(time.perf_counter())

    def finish(self, result: dict) -> None:
        ledger = self.ledger
        self.sweeper.kill()
        ledger.expire(time.perf_counter() + ledger.deadline + 1)  # settle every write
        figures = ledger.figures
        result["ledger"] = dict(figures.counts)
        if figures.counts["delivered"]:
            result["ledger_latency_ms"] = {f"p{round(p * 100)}": figures.latency_ms(p) for p in (0.5, 0.95, 0.99)}

"""Socket.IO users: subscribers that hold a session open, and writers that write over it. Tag ``ws``.

* ``SocketIOSubscriber``: connects, registers, then stays subscribed, receiving pushes; its
  only task checks now and then that the session is alive (it reconnects by itself).
* ``SocketIOWriter``: writes its own keys with ``context_set`` over its session and waits for
  each confirmation (``WS context_set``); the server does not push a writer its own write.

Both report through ``traffic.ws_session``, and every write of this process (HTTP or Socket.IO)
is expected at every other subscribed session (``verification.delivery``). Mixed-protocol test: run
them with the HTTP users, e.g. ``--tags write,ws`` for HTTP and Socket.IO writers plus subscribers.
"""

from locust import User, between, tag, task

from common.run import Run
from traffic.slots import Slots
from traffic.timing import TimedSteps
from traffic.ws_session import SocketIOSession
from verification.delivery import cancel_write, note_write, push_ledger_for
from verification.ledger import WriteLedger
from verification.values import make_value, next_seq

SESSION_KIND = "ws-session"  # one index space for all sessions of a process: the push ledger's bitmaps


class SocketIOUser(TimedSteps, User):
    abstract = True
    kind = "ws"

    def on_start(self):
        self.run_state = Run.of(self.environment)
        self.settings = self.run_state.settings
        slots = self.run_state.get(Slots)
        self.slot = slots.take(self.kind)
        self.session_index = slots.take(SESSION_KIND)
        self.worker = self.run_state.worker_index
        self.session = SocketIOSession(
            self.environment,
            self.host,
            self.session_index,
            push_ledger_for(self.environment),
            name=f"{self.settings.key_prefix}.{self.kind}.{self.worker}.{self.slot}",
            reply_timeout=self.settings.ws_timeout,
        )
        self.session.open()

    def on_stop(self):
        self.session.close()
        slots = self.run_state.get(Slots)
        slots.release(SESSION_KIND, self.session_index)
        slots.release(self.kind, self.slot)


class SocketIOSubscriber(SocketIOUser):
    kind = "ws-sub"
    weight = 2
    wait_time = between(20, 30)

    @tag("ws")
    @task
    def stay_subscribed(self):
        """Nothing to send: pushes arrive on the session's own greenlet, pings are answered there."""


class SocketIOWriter(SocketIOUser):
    kind = "ws-writer"
    weight = 1
    wait_time = between(0.5, 1.5)

    def on_start(self):
        super().on_start()
        self.writes = 0
        self.ledger = self.run_state.get(WriteLedger)

    @tag("ws")
    @task
    def set_own_key(self):
        key = f"{self.session.name}.{self.writes % self.settings.key_space}"
        self.writes += 1
        value = make_value(self.ledger.run_tag, next_seq(), self.settings.payload_bytes)
        noted = note_write(self.environment, key, value, sender=self.session_index)  # timed from the emit
        if self.session.context_set(key, value) is None:
            cancel_write(self.environment, noted)
        else:
            self.ledger.record(key, value, acked_at=self.session.last_confirmed_at)

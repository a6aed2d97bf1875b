"""Socket.IO users: subscribers that hold a session open, and writers that write over it. Tag ``ws``.

* ``SocketIOSubscriber``: connects, registers, then stays subscribed, receiving pushes; its
  only task checks now and then that the session is alive (it reconnects by itself).
* ``SocketIOWriter``: writes its own keys with ``context_set`` over its session and waits for
  each confirmation (``WS context_set``); the server does not push a writer its own write.

Both report through ``users.ws_session``, and every write of this process (HTTP or Socket.IO)
is expected at every other subscribed session (``users.delivery``). Mixed-protocol test: run
them with the HTTP users, e.g. ``--tags write,ws`` for HTTP and Socket.IO writers plus subscribers.
"""

from locust import User, between, tag, task

from users.delivery import expect_push, push_ledger_for
from users.ledger import ledger_for
from users.options import Settings
from users.slots import release_slot, take_slot
from users.values import make_value, next_seq
from users.ws_session import SocketIOSession

SESSION_KIND = "ws-session"  # one index space for all sessions of a process: the push ledger's bitmaps


class SocketIOUser(User):
    abstract = True
    kind = "ws"

    def on_start(self):
        self.settings = Settings.from_options(self.environment.parsed_options)
        self.slot = take_slot(self.environment, self.kind)
        self.session_index = take_slot(self.environment, SESSION_KIND)
        self.worker = getattr(self.environment.runner, "worker_index", 0)
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
        release_slot(self.environment, SESSION_KIND, self.session_index)
        release_slot(self.environment, self.kind, self.slot)


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
        self.ledger = ledger_for(self.environment)

    @tag("ws")
    @task
    def set_own_key(self):
        key = f"{self.session.name}.{self.writes % self.settings.key_space}"
        self.writes += 1
        value = make_value(self.ledger.run_tag, next_seq(), self.settings.payload_bytes)
        if self.session.context_set(key, value) is not None:
            acked_at = self.session.last_confirmed_at
            self.ledger.record(key, value, acked_at=acked_at)
            expect_push(
                self.environment, key, value, acked_at, sender=self.session_index, sent_at=self.session.last_sent_at
            )

"""Notice when the target stops answering and comes back, and whether it lost its data meanwhile.

Register from the locustfile (``verification.hooks`` does)::

    events.init.add_listener(TargetWatch.register)

Where users run (a local runner or each worker), the watch sees every request result:

* the first success of a test writes the *canary*, a key of its own (``<prefix>.canary.<token>``,
  row ``POST /ctx (canary)``; retried at most 3 times, a second apart, if refused);
* the first connection-level failure (refused, reset, closed, timed out; a ``WS connect`` that
  failed to connect; not the generator's own shortage of ports or files) starts an *outage*,
  logged once with the endpoint and the error; Locust's failure table counts them per endpoint;
* a success after it makes the watch read the canary (``GET /ctx (canary)``, at most once a
  second, until it gets an answer). Gone: the target restarted and lost what it held in memory;
  the watch logs it, remembers when the target was back and writes a new canary; the traffic
  writes its catalog again (it asks ``restart_count``). There: its data is intact. Either way the
  outage ends.

Checks ask ``TargetWatch.of(environment).in_doubt(acked_at)`` before calling a missing write a
failure (an outage is unresolved, or a restart came after the write); the write audit waits for an
outage to be resolved (``settle``) and counts missing keys acknowledged before a restart apart
(``restarted_after``). The canary is in the write ledger, so the audit checks it like any write:
lost, it hints at a restart between two requests that no request noticed.
"""

import errno
import logging
import resource
import secrets
import time

import gevent
from gevent.timeout import Timeout
from geventhttpclient.response import HTTPConnectionClosed
from geventhttpclient.useragent import ConnectionError as GeventHttpConnectionError
from locust.contrib.fasthttp import FastHttpSession

from common import names
from common.run import Run
from verification.checks import json_body
from verification.ledger import WriteLedger

logger = logging.getLogger(__name__)


CHECK_EVERY = 1.0  # seconds between two canary reads or writes while one is due
CANARY_ATTEMPTS = 3  # canary writes refused before the watch gives up restart detection for the test
INTACT, GONE, UNKNOWN = "intact", "gone", "unknown"
# Failures that mean "no answer from the target", as FastHttpSession raises them (geventhttpclient's
# ConnectionError wraps refusals and timeouts after its retries) ...
NO_ANSWER = (OSError, Timeout, HTTPConnectionClosed, ConnectionError, GeventHttpConnectionError)
# ... except the generator's own shortages (no free port, no file descriptor), which are not the target's.
GENERATOR_SIDE = {errno.EADDRNOTAVAIL, errno.EMFILE, errno.ENFILE, errno.ENOBUFS}


def is_connection_failure(request_type: str, name: str, exception) -> bool:
    if request_type == "WS" and name == "WS connect":  # traffic.ws_session names the cause: keep connection-level ones
        return any(word in str(exception) for word in ("Connection", "Timeout", "timed out"))
    return isinstance(exception, NO_ANSWER) and getattr(exception, "errno", None) not in GENERATOR_SIDE


def describe(exception, request_timeout: float) -> str:
    if isinstance(exception, (TimeoutError, Timeout)) or "timed out" in str(exception).lower():
        return f"a timeout (no answer within --request-timeout {request_timeout:g} s)"
    return repr(exception) if isinstance(exception, NO_ANSWER) else str(exception)


class TargetWatch:
    """The target's outages and restarts as one process saw them in one test (its state and listeners)."""

    def __init__(self, environment=None, canary_key: str = ""):
        self.environment = environment
        self.canary_key = canary_key
        self.canary_value: dict | None = None  # None until a canary write was acknowledged
        self.canary_attempts = 0
        self.outage_since: float | None = None
        self.outage_failures = 0
        self.back_at: float | None = None  # the first success after the outage began
        self.restarts: list[float] = []  # when the target was back, per restart
        self.checking = False
        self.last_check = 0.0
        self.generator_shortage: str | None = None  # the first request that failed for want of a descriptor

    @classmethod
    def of(cls, environment) -> "TargetWatch":
        return Run.of(environment).get(cls, lambda: cls(environment))

    @classmethod
    def register(cls, environment, **_kwargs) -> None:
        """An ``init`` listener: watch requests where users run (not on a master); a canary per test."""
        run = Run.of(environment)
        if not run.runs_users:
            return
        events = environment.events
        events.test_start.add_listener(lambda **_kw: cls.start_test(environment))
        events.request.add_listener(lambda **kw: cls.of(environment).on_request(**kw))
        events.quitting.add_listener(lambda **_kw: cls.of(environment).on_quitting())

    @classmethod
    def start_test(cls, environment) -> "TargetWatch":
        prefix = Run.of(environment).settings.key_prefix
        return Run.of(environment).put(cls(environment, canary_key=f"{prefix}.canary.{secrets.token_hex(6)}"))

    # -- what checks ask ---------------------------------------------------------------------------------
    def restarted_after(self, acked_at: float) -> bool:
        """True if the target restarted (losing its data) after a write acknowledged at ``acked_at``."""
        return any(back > acked_at for back in self.restarts)

    def in_doubt(self, acked_at: float) -> bool:
        """True if a write acknowledged at ``acked_at`` may be gone by a restart: one came after it, or an
        outage is not resolved yet (a check that finds it missing now cannot blame the target under load)."""
        return self.outage_since is not None or self.restarted_after(acked_at)

    @property
    def restart_count(self) -> int:
        return len(self.restarts)

    def settle(self, timeout: float) -> None:
        """Resolve an outage still open, within ``timeout``: the audit calls it before it judges.

        A check under way is waited for; an open outage gets one canary read now (no other request
        may come to trigger it).
        """
        deadline = time.monotonic() + timeout
        while self.checking and time.monotonic() < deadline:
            gevent.sleep(0.1)
        if self.outage_since is None or self.checking or not self.environment.host:
            return
        self.checking = True
        self.back_at = self.back_at or time.time()
        with gevent.Timeout(max(0.0, deadline - time.monotonic()), False):
            self._check()
        self.checking = False

    # -- listeners --------------------------------------------------------------------------------------
    def on_request(self, request_type, name, exception=None, **_kwargs) -> None:
        if exception is None:
            if self.outage_since is not None and self.back_at is None:
                self.back_at = time.time()
            due = self.outage_since is not None or (
                self.canary_value is None and self.canary_attempts < CANARY_ATTEMPTS and self.canary_key
            )
            now = time.monotonic()
            if due and not self.checking and self.environment.host and now - self.last_check >= CHECK_EVERY:
                self.checking, self.last_check = True, now
                gevent.spawn(self._check)
            return
        if getattr(exception, "errno", None) in GENERATOR_SIDE:
            self._note_generator_shortage(exception)
            return
        if not is_connection_failure(request_type, name, exception):
            return
        if self.outage_since is None:
            self.outage_since, self.outage_failures, self.back_at = time.time(), 0, None
            logger.warning(
                "Target %s stopped answering: %s failed with %s; failures are counted per endpoint until it answers",
                self.environment.host,
                name,
                describe(exception, Run.of(self.environment).settings.request_timeout),
            )
        self.outage_failures += 1

    def _note_generator_shortage(self, exception) -> None:
        """Once per test: requests fail in this process, not at the target (ulimit -n too low, no free port)."""
        if self.generator_shortage is None:
            self.generator_shortage = repr(exception)
            soft, _hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            logger.warning(
                "Requests fail in this generator before reaching the target: %s (open-file limit here: %s); "
                "these failures are the generator's, not the target's",
                self.generator_shortage,
                soft,
            )

    def on_quitting(self) -> None:
        if self.outage_since is not None:
            logger.warning(
                "Target %s did not answer again before the end (%.1f s, %d requests failed)",
                self.environment.host,
                time.time() - self.outage_since,
                self.outage_failures,
            )

    # -- the canary -------------------------------------------------------------------------------------
    def _session(self) -> FastHttpSession:
        timeout = Run.of(self.environment).settings.request_timeout
        return FastHttpSession(
            base_url=self.environment.host,
            request_event=self.environment.events.request,
            user=None,
            network_timeout=timeout,
            connection_timeout=timeout,
        )

    def read_canary(self, session: FastHttpSession) -> str:
        """INTACT if the canary holds what was written, GONE if not, UNKNOWN if there was no readable answer."""
        with session.get(
            f"/ctx?key={self.canary_key}", name=names.CANARY_READ_ROW.name, catch_response=True
        ) as response:
            reply = json_body(response, "value")
        if reply is None:
            return UNKNOWN
        return INTACT if reply["value"] == self.canary_value else GONE

    def _write_canary(self, session: FastHttpSession) -> None:
        self.canary_attempts += 1
        value = {"canary": secrets.token_hex(8), "written": time.time()}
        body = {"key": self.canary_key, "value": value}
        with session.post("/ctx", json=body, name=names.CANARY_WRITE_ROW.name, catch_response=True) as response:
            if json_body(response, "key") is not None:
                self.canary_value, self.canary_attempts = value, 0
                # audited like any write
                Run.of(self.environment).get(WriteLedger).record(self.canary_key, value, acked_at=time.time())
                return
        if self.canary_attempts == CANARY_ATTEMPTS:
            who = (
                f"This generator could not send the canary key ({self.generator_shortage})"
                if self.generator_shortage
                else f"Target {self.environment.host} refused the canary key"
            )
            logger.warning("%s %d times: a restart of the target cannot be told this test", who, CANARY_ATTEMPTS)

    def _end_outage(self, verdict: str) -> None:
        lasted, failed, host = self.back_at - self.outage_since, self.outage_failures, self.environment.host
        if verdict == GONE:
            self.restarts.append(self.back_at)
            logger.warning(
                "Target %s answers again after %.1f s (%d requests failed); it restarted and lost the data it held "
                "(the canary key is gone): writes acknowledged before are audited as lost to the restart",
                host,
                lasted,
                failed,
            )
        else:
            kept = (
                "its data is intact" if verdict == INTACT else "no canary from before to tell whether it kept its data"
            )
            logger.warning("Target %s answers again after %.1f s (%d requests failed); %s", host, lasted, failed, kept)
        self.outage_since = self.back_at = None

    def _check(self) -> None:
        """A success came while a check was due: write the canary if there is none yet, or judge an outage."""
        session = self._session()
        try:
            if self.canary_value is None:
                self._write_canary(session)
                if self.outage_since is not None and self.canary_value is not None:
                    self._end_outage(UNKNOWN)
                return
            if self.outage_since is None:
                return
            verdict = self.read_canary(session)
            if verdict == UNKNOWN:
                return  # no answer, or no readable one: still out; a later success tries again
            self._end_outage(verdict)
            if verdict == GONE:
                self._write_canary(session)
        finally:
            self.checking = False
            session.client.close()

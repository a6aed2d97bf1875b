"""Notice when the target stops answering and comes back, and whether it lost its data meanwhile.

Register from the locustfile (``users.hooks`` does)::

    events.init.add_listener(target_watch.register)

Where users run (a local runner or each worker), the watch sees every request result:

* the first success of a test writes the *canary*, a key of its own (``<prefix>.canary.<token>``,
  row ``POST /ctx (canary)``; retried at most 3 times, a second apart, if refused);
* the first connection-level failure (refused, reset, closed, timed out; a ``WS connect`` that
  failed to connect; not the generator's own shortage of ports or files) starts an *outage*,
  logged once with the endpoint and the error; Locust's failure table counts them per endpoint;
* a success after it makes the watch read the canary (``GET /ctx (canary)``, at most once a
  second, until it gets an answer). Gone: the target restarted and lost what it held in memory;
  the watch logs it, remembers when the target was back, writes a new canary, and the catalog is
  written again (``users.catalog``). There: its data is intact. Either way the outage ends.

Checks ask ``in_doubt(environment, acked_at)`` before calling a missing write a failure (an
outage is unresolved, or a restart came after the write); the write audit waits for an outage to
be resolved (``settle``) and counts missing keys acknowledged before a restart apart
(``restarted_after``). The canary is in the write ledger, so the audit checks it like any write:
lost, it hints at a restart between two requests that no request noticed.
"""

import errno
import logging
import secrets
import time
import weakref
from dataclasses import dataclass, field

import gevent
from gevent.timeout import Timeout
from geventhttpclient.response import HTTPConnectionClosed
from geventhttpclient.useragent import ConnectionError as GeventHttpConnectionError
from locust.contrib.fasthttp import FastHttpSession
from locust.runners import MasterRunner

from users import catalog
from users.checks import json_body
from users.ledger import ledger_for
from users.options import Settings

logger = logging.getLogger(__name__)


CHECK_EVERY = 1.0  # seconds between two canary reads or writes while one is due
CANARY_ATTEMPTS = 3  # canary writes refused before the watch gives up restart detection for the test
INTACT, GONE, UNKNOWN = "intact", "gone", "unknown"
# Failures that mean "no answer from the target", as FastHttpSession raises them (geventhttpclient's
# ConnectionError wraps refusals and timeouts after its retries) ...
NO_ANSWER = (OSError, Timeout, HTTPConnectionClosed, ConnectionError, GeventHttpConnectionError)
# ... except the generator's own shortages (no free port, no file descriptor), which are not the target's.
GENERATOR_SIDE = {errno.EADDRNOTAVAIL, errno.EMFILE, errno.ENFILE, errno.ENOBUFS}


@dataclass
class TargetWatch:
    canary_key: str = ""
    canary_value: dict | None = None  # None until a canary write was acknowledged
    canary_attempts: int = 0
    outage_since: float | None = None
    outage_failures: int = 0
    back_at: float | None = None  # the first success after the outage began
    restarts: list[float] = field(default_factory=list)  # when the target was back, per restart
    checking: bool = False
    last_check: float = 0.0


_watches: "weakref.WeakKeyDictionary[object, TargetWatch]" = weakref.WeakKeyDictionary()


def watch_for(environment) -> TargetWatch:
    if environment not in _watches:
        _watches[environment] = TargetWatch()
    return _watches[environment]


def restarted_after(environment, acked_at: float) -> bool:
    """True if the target restarted (losing its data) after a write acknowledged at ``acked_at``."""
    return any(back > acked_at for back in watch_for(environment).restarts)


def in_doubt(environment, acked_at: float) -> bool:
    """True if a write acknowledged at ``acked_at`` may be gone by a restart: one came after it, or an
    outage is not resolved yet (a check that finds it missing now cannot blame the target under load)."""
    return watch_for(environment).outage_since is not None or restarted_after(environment, acked_at)


def restart_count(environment) -> int:
    return len(watch_for(environment).restarts)


def settle(environment, timeout: float) -> None:
    """Resolve an outage still open, within ``timeout``: the audit calls it before it judges.

    A check under way is waited for; an open outage gets one canary read now (no other request
    may come to trigger it).
    """
    watch = watch_for(environment)
    deadline = time.monotonic() + timeout
    while watch.checking and time.monotonic() < deadline:
        gevent.sleep(0.1)
    if watch.outage_since is None or watch.checking or not environment.host:
        return
    watch.checking = True
    watch.back_at = watch.back_at or time.time()
    with gevent.Timeout(max(0.0, deadline - time.monotonic()), False):
        _check(environment, watch)
    watch.checking = False


def is_connection_failure(request_type: str, name: str, exception) -> bool:
    if request_type == "WS" and name == "WS connect":  # users.ws_session names the cause: keep connection-level ones
        return any(word in str(exception) for word in ("Connection", "Timeout", "timed out"))
    return isinstance(exception, NO_ANSWER) and getattr(exception, "errno", None) not in GENERATOR_SIDE


def describe(exception, request_timeout: float) -> str:
    if isinstance(exception, (TimeoutError, Timeout)) or "timed out" in str(exception).lower():
        return f"a timeout (no answer within --request-timeout {request_timeout:g} s)"
    return repr(exception) if isinstance(exception, NO_ANSWER) else str(exception)


def read_canary(watch: TargetWatch, session: FastHttpSession) -> str:
    """INTACT if the canary holds what was written, GONE if not, UNKNOWN if there was no readable answer."""
    with session.get(f"/ctx?key={watch.canary_key}", name="GET /ctx (canary)", catch_response=True) as response:
        reply = json_body(response, "value")
    if reply is None:
        return UNKNOWN
    return INTACT if reply["value"] == watch.canary_value else GONE


def _session(environment) -> FastHttpSession:
    timeout = Settings.from_options(environment.parsed_options).request_timeout
    return FastHttpSession(
        base_url=environment.host,
        request_event=environment.events.request,
        user=None,
        network_timeout=timeout,
        connection_timeout=timeout,
    )


def _write_canary(environment, watch: TargetWatch, session: FastHttpSession) -> None:
    watch.canary_attempts += 1
    value = {"canary": secrets.token_hex(8), "written": time.time()}
    with session.post(
        "/ctx", json={"key": watch.canary_key, "value": value}, name="POST /ctx (canary)", catch_response=True
    ) as response:
        if json_body(response, "key") is not None:
            watch.canary_value, watch.canary_attempts = value, 0
            ledger_for(environment).record(watch.canary_key, value, acked_at=time.time())  # audited like any write
            return
    if watch.canary_attempts == CANARY_ATTEMPTS:
        logger.warning(
            "Target %s refused the canary key %d times: a restart of the target cannot be told this test",
            environment.host,
            CANARY_ATTEMPTS,
        )


def _end_outage(environment, watch: TargetWatch, verdict: str) -> None:
    lasted, failed = watch.back_at - watch.outage_since, watch.outage_failures
    if verdict == GONE:
        watch.restarts.append(watch.back_at)
        catalog.reset_catalog(environment)
        logger.warning(
            "Target %s answers again after %.1f s (%d requests failed); it restarted and lost the data it held "
            "(the canary key is gone): writes acknowledged before are audited as lost to the restart",
            environment.host,
            lasted,
            failed,
        )
    else:
        kept = "its data is intact" if verdict == INTACT else "no canary from before to tell whether it kept its data"
        logger.warning(
            "Target %s answers again after %.1f s (%d requests failed); %s", environment.host, lasted, failed, kept
        )
    watch.outage_since = watch.back_at = None


def _check(environment, watch: TargetWatch) -> None:
    """A success came while a check was due: write the canary if there is none yet, or judge an outage."""
    session = _session(environment)
    try:
        if watch.canary_value is None:
            _write_canary(environment, watch, session)
            if watch.outage_since is not None and watch.canary_value is not None:
                _end_outage(environment, watch, UNKNOWN)
            return
        if watch.outage_since is None:
            return
        verdict = read_canary(watch, session)
        if verdict == UNKNOWN:
            return  # no answer, or no readable one: still out; a later success tries again
        _end_outage(environment, watch, verdict)
        if verdict == GONE:
            _write_canary(environment, watch, session)
    finally:
        watch.checking = False
        session.client.close()


def register(environment, **_kwargs) -> None:
    """An ``init`` listener: watch requests where users run (not on a master); a canary per test."""
    if isinstance(environment.runner, MasterRunner):
        return

    def on_test_start(**_kw):
        prefix = Settings.from_options(environment.parsed_options).key_prefix
        _watches[environment] = TargetWatch(canary_key=f"{prefix}.canary.{secrets.token_hex(6)}")

    def on_request(request_type, name, exception=None, **_kw):
        watch = watch_for(environment)
        if exception is None:
            if watch.outage_since is not None and watch.back_at is None:
                watch.back_at = time.time()
            due = watch.outage_since is not None or (
                watch.canary_value is None and watch.canary_attempts < CANARY_ATTEMPTS and watch.canary_key
            )
            now = time.monotonic()
            if due and not watch.checking and environment.host and now - watch.last_check >= CHECK_EVERY:
                watch.checking, watch.last_check = True, now
                gevent.spawn(_check, environment, watch)
            return
        if not is_connection_failure(request_type, name, exception):
            return
        if watch.outage_since is None:
            watch.outage_since, watch.outage_failures, watch.back_at = time.time(), 0, None
            logger.warning(
                "Target %s stopped answering: %s failed with %s; failures are counted per endpoint until it answers",
                environment.host,
                name,
                describe(exception, Settings.from_options(environment.parsed_options).request_timeout),
            )
        watch.outage_failures += 1

    def on_quitting(**_kw):
        watch = watch_for(environment)
        if watch.outage_since is not None:
            logger.warning(
                "Target %s did not answer again before the end (%.1f s, %d requests failed)",
                environment.host,
                time.time() - watch.outage_since,
                watch.outage_failures,
            )

    environment.events.test_start.add_listener(on_test_start)
    environment.events.request.add_listener(on_request)
    environment.events.quitting.add_listener(on_quitting)

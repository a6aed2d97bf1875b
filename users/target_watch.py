"""Notice when the target stops answering and comes back, and whether it lost its data meanwhile.

Register from the locustfile (``users.hooks`` does)::

    events.init.add_listener(target_watch.register)

Where users run (a local runner or each worker), the watch sees every request result:

* the first connection-level failure (refused, reset, closed, timed out; or a failed
  ``WS connect``) starts an *outage*, logged once with the endpoint and the error; Locust's
  failure table keeps counting them per endpoint;
* the first success after it ends the outage: the watch reads its *canary*, a key it wrote at
  test start (``<prefix>.canary.<token>``, rows ``POST /ctx (canary)`` and ``GET /ctx (canary)``).
  If the canary is gone, the target restarted and lost what it held in memory: the watch logs
  it and remembers when the target was back (``restarted_after``), writes a new canary, and the
  catalog is written again (``users.catalog``).

The write audit and read-after-write checks ask ``restarted_after(environment, acked_at)``: a
write acknowledged before a restart that is missing now was lost to the restart, not by the
target under load. The canary is in the write ledger, so the audit checks it like any write: lost
with no restart seen, it hints at a restart between two requests that no request noticed.
"""

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


@dataclass
class TargetWatch:
    canary_key: str = ""
    canary_value: dict | None = None  # None until a canary write was acknowledged
    outage_since: float | None = None
    outage_failures: int = 0
    back_at: float | None = None  # first success after the outage, while the canary is read
    restarts: list[float] = field(default_factory=list)  # when the target was back, per restart
    checking: bool = False


_watches: "weakref.WeakKeyDictionary[object, TargetWatch]" = weakref.WeakKeyDictionary()


def watch_for(environment) -> TargetWatch:
    if environment not in _watches:
        _watches[environment] = TargetWatch()
    return _watches[environment]


def restarted_after(environment, acked_at: float) -> bool:
    """True if the target restarted (losing its data) after a write acknowledged at ``acked_at``."""
    return any(back > acked_at for back in watch_for(environment).restarts)


def restart_count(environment) -> int:
    return len(watch_for(environment).restarts)


# Failures that mean "no answer from the target", as FastHttpSession raises them (geventhttpclient's
# ConnectionError wraps refusals and timeouts after its retries).
NO_ANSWER = (OSError, Timeout, HTTPConnectionClosed, ConnectionError, GeventHttpConnectionError)


def is_connection_failure(request_type: str, name: str, exception) -> bool:
    return isinstance(exception, NO_ANSWER) or (request_type == "WS" and name == "WS connect")


def describe(exception, request_timeout: float) -> str:
    if isinstance(exception, (TimeoutError, Timeout)) or "timed out" in str(exception).lower():
        return f"a timeout (no answer within --request-timeout {request_timeout:g} s)"
    return repr(exception) if isinstance(exception, NO_ANSWER) else str(exception)


def canary_intact(environment, session: FastHttpSession) -> bool | None:
    """Read the canary: True if it holds what was written, False if it is gone or changed.

    None when there is nothing to tell: no canary was written, or it could not be read.
    """
    watch = watch_for(environment)
    if watch.canary_value is None:
        return None
    with session.get(f"/ctx?key={watch.canary_key}", name="GET /ctx (canary)", catch_response=True) as response:
        reply = json_body(response, "value")
    return None if reply is None else reply["value"] == watch.canary_value


def _session(environment) -> FastHttpSession:
    timeout = Settings.from_options(environment.parsed_options).request_timeout
    return FastHttpSession(
        base_url=environment.host,
        request_event=environment.events.request,
        user=None,
        network_timeout=timeout,
        connection_timeout=timeout,
    )


def _write_canary(environment, session: FastHttpSession) -> None:
    watch = watch_for(environment)
    value = {"canary": secrets.token_hex(8), "written": time.time()}
    with session.post(
        "/ctx", json={"key": watch.canary_key, "value": value}, name="POST /ctx (canary)", catch_response=True
    ) as response:
        if json_body(response, "key") is not None:
            watch.canary_value = value
            ledger_for(environment).record(watch.canary_key, value, acked_at=time.time())  # audited like any write


def _after_outage(environment) -> None:
    """The target answered again: find out whether it kept its data, log it, end the outage."""
    watch = watch_for(environment)
    session = _session(environment)
    try:
        failed_before = watch.outage_failures
        intact = canary_intact(environment, session)
        if watch.outage_failures > failed_before:
            return  # the canary read failed to connect: still out; the next success tries again
        lasted, failed = watch.back_at - watch.outage_since, watch.outage_failures
        if intact is False:
            watch.restarts.append(watch.back_at)
            catalog.reset_catalog(environment)
            logger.warning(
                "Target %s answers again after %.1f s (%d requests failed); it restarted and lost the data "
                "it held (the canary key is gone): writes acknowledged before are audited as lost to the restart",
                environment.host,
                lasted,
                failed,
            )
        else:
            kept = "its data is intact" if intact else "no canary to tell whether it kept its data"
            logger.warning(
                "Target %s answers again after %.1f s (%d requests failed); %s", environment.host, lasted, failed, kept
            )
        watch.outage_since = watch.back_at = None
        if watch.canary_value is None or intact is False:
            _write_canary(environment, session)
    finally:
        watch.checking = False
        session.client.close()


def register(environment, **_kwargs) -> None:
    """An ``init`` listener: watch requests where users run (not on a master); a canary per test start."""
    if isinstance(environment.runner, MasterRunner):
        return

    def on_test_start(**_kw):
        prefix = Settings.from_options(environment.parsed_options).key_prefix
        _watches[environment] = TargetWatch(canary_key=f"{prefix}.canary.{secrets.token_hex(6)}")
        if environment.host:
            gevent.spawn(_write_canary, environment, _session(environment))

    def on_request(request_type, name, exception=None, **_kw):
        watch = watch_for(environment)
        if exception is None:
            if watch.outage_since is not None and not watch.checking and environment.host:
                watch.checking, watch.back_at = True, time.time()
                gevent.spawn(_after_outage, environment)
            return
        if not is_connection_failure(request_type, name, exception):
            return
        if watch.outage_since is None:
            watch.outage_since, watch.outage_failures = time.time(), 0
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

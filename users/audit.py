"""The write audit: when a test stops, read back what this process wrote and say what survived.

Register from the locustfile (an ``init`` listener)::

    events.init.add_listener(audit.register)

Where users run (a local runner or each worker), the audit reads back the keys of the write
ledger (all of them, or a random sample of ``--audit-sample`` keys; within ``--audit-timeout``)
with up to 20 reads at a time, named ``GET /ctx (audit)``. Each key whose last acknowledged
write is gone is a failure in the stats row ``AUDIT lost writes``. Workers send their figures
to the master, which waits for them (``--audit-timeout`` plus 15 s at most, less for workers
that are gone) and sums them; the master (or the local process) logs one summary line when
Locust quits, after its own tables::

    Write audit: 1200 writes acknowledged on 900 keys; 900 checked: 899 verified, 1 lost, ...
"""

import logging
import random
import time
from dataclasses import asdict, dataclass

import gevent
from gevent.pool import Pool
from locust.contrib.fasthttp import FastHttpSession
from locust.rpc import Message
from locust.runners import (
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
    MasterRunner,
    WorkerRunner,
)
from locust.stats import CSV_STATS_INTERVAL_SEC

from users import target_watch
from users.checks import json_body
from users.ledger import CHANGED, VERIFIED, ledger_for
from users.options import Settings

logger = logging.getLogger(__name__)

MESSAGE = "ctxload_audit"
CONCURRENT_READS = 20
WORKER_GRACE = 15  # seconds a master waits for workers' audits beyond --audit-timeout


class LostWrite(Exception):
    """An acknowledged write that the read-back did not find."""


@dataclass
class AuditResult:
    acknowledged: int = 0
    keys: int = 0
    checked: int = 0
    verified: int = 0
    lost: int = 0
    changed_by_others: int = 0
    unreadable: int = 0
    unchecked: int = 0
    processes: int = 0
    lost_to_restarts: int = 0  # missing keys last acknowledged before a target restart
    restarts: int = 0  # target restarts seen (the most any process saw: they all see the same ones)
    canary_lost: int = 0  # processes whose canary key (users.target_watch) was lost with no restart seen
    missing_workers: int = 0  # workers that went missing before they could audit (master only)

    def __add__(self, other: "AuditResult") -> "AuditResult":
        summed = {name: value + getattr(other, name) for name, value in asdict(self).items()}
        return AuditResult(**{**summed, "restarts": max(self.restarts, other.restarts)})

    def summary_line(self) -> str:
        if not self.acknowledged:
            line = "Write audit: no writes were acknowledged"
            return line + self._missing_workers_text() if self.missing_workers else line
        line = (
            f"Write audit: {self.acknowledged} writes acknowledged on {self.keys} keys; "
            f"{self.checked} checked: {self.verified} verified, {self.lost} lost, "
            f"{self.changed_by_others} changed by others, {self.unreadable} unreadable"
        )
        if self.restarts or self.lost_to_restarts:
            line += (
                f", {self.lost_to_restarts} lost to {self.restarts} target restart{'s' * (self.restarts != 1)} "
                "(written before it; the target keeps its data in memory)"
            )
        if self.checked + self.unreadable + self.unchecked < self.keys:
            line += " (a random sample)"
        if self.unchecked:
            line += f"; {self.unchecked} not checked before --audit-timeout"
        if self.canary_lost:
            line += "; the canary key is among the lost (a target restart no request saw?)"
        if self.processes > 1 or self.missing_workers:
            line += f"; summed over {self.processes} worker{'s' * (self.processes != 1)}"
        return line + self._missing_workers_text() if self.missing_workers else line

    def _missing_workers_text(self) -> str:
        return f"; {self.missing_workers} worker(s) went missing during the run: their writes are not audited"


def run_audit(environment, settings: Settings, rng: random.Random | None = None) -> AuditResult:
    """Read back the ledger's keys (or a sample) and judge each; fire a failure per lost key.

    Keys found missing are judged last, once an outage the reads ran into is resolved: those last
    acknowledged before a target restart were lost to it (``users.target_watch``).
    """
    ledger = ledger_for(environment)
    result = AuditResult(acknowledged=ledger.acknowledged, keys=len(ledger), processes=1)
    if not len(ledger) or not settings.audit_sample or not environment.host:
        return result
    canary_key = target_watch.watch_for(environment).canary_key
    keys = ledger.sample(settings.audit_sample, rng or random.Random())
    if canary_key in ledger and canary_key not in keys:  # always checked: a lost canary hints at an unseen restart
        keys[-1] = canary_key
    session = FastHttpSession(
        base_url=environment.host,
        request_event=environment.events.request,
        user=None,
        network_timeout=settings.request_timeout,
        connection_timeout=settings.request_timeout,
    )
    missing: list[str] = []

    def check(key: str) -> None:
        with session.get(f"/ctx?key={key}", name="GET /ctx (audit)", catch_response=True) as response:
            reply = json_body(response, "value")
            if reply is None:
                result.unreadable += 1
                return
            verdict = ledger.judge(key, reply["value"])
        result.checked += 1
        if verdict == VERIFIED:
            result.verified += 1
        elif verdict == CHANGED:
            result.changed_by_others += 1
        elif reply["value"] is None:
            missing.append(key)
        else:
            lose(key)

    def lose(key: str) -> None:
        result.lost += 1
        result.canary_lost = result.canary_lost or int(key == canary_key)
        environment.events.request.fire(
            request_type="AUDIT",
            name="lost writes",
            response_time=None,
            response_length=0,
            exception=LostWrite("acknowledged write not found"),
            context={},
        )

    pool = Pool(CONCURRENT_READS)
    with gevent.Timeout(settings.audit_timeout or None, False):
        for key in keys:
            pool.spawn(check, key)
        pool.join()
    pool.kill()
    if missing:  # the target answered those reads: an outage they ran into is being resolved
        target_watch.settle(environment, timeout=settings.request_timeout + 1)
    for key in missing:
        if target_watch.restarted_after(environment, ledger.acked_at(key)):
            result.lost_to_restarts += 1
        else:
            lose(key)
    result.restarts = target_watch.restart_count(environment)
    result.unchecked = len(keys) - result.checked - result.unreadable
    return result


def register(environment, **_kwargs) -> None:
    """An ``init`` listener: audit at each test stop where users run; sum and report centrally."""
    runner = environment.runner
    latest = {"result": AuditResult(), "audited": False, "reported": set(), "seen": set()}

    def on_test_start(**_kw):
        master = isinstance(runner, MasterRunner)
        seen = {client.id for client in runner.clients.all if client.state != STATE_MISSING} if master else set()
        latest.update(result=AuditResult(), audited=False, reported=set(), seen=seen)

    def on_worker_report(client_id, **_kw):
        latest["seen"].add(client_id)

    def on_test_stop(**_kw):
        if isinstance(runner, MasterRunner):
            collect_from_workers()
            return
        settings = Settings.from_options(environment.parsed_options)
        result = run_audit(environment, settings)
        if isinstance(runner, WorkerRunner):
            logger.info("%s (this worker)", result.summary_line())
            # Locust sends a stopped worker's stats only every few seconds: send the audit's rows
            # now, ahead of the figures, so the master has them when it ends the run.
            runner._send_stats()
            runner.send_message(MESSAGE, asdict(result))
        else:
            latest.update(result=result, audited=True)
            let_csv_writer_catch_up()

    def on_worker_result(msg, **_kw):
        latest["result"] = latest["result"] + AuditResult(**msg.data)
        latest["audited"] = True
        latest["reported"].add(msg.node_id)

    def collect_from_workers():
        """Wait for every live worker's audit; first stop the workers still running (on quit).

        Locust's ``quit`` fires ``test_stop`` before it tells the workers anything, and gives their
        last messages half a second: stop them here, so they audit while the master listens.
        Locust forgets a worker that reports it stopped, so those are also sent their ``quit``.
        """
        stopped_here = [client.id for client in runner.clients.all if client.state in (STATE_RUNNING, STATE_SPAWNING)]
        for client_id in stopped_here:
            runner.server.send_to_client(Message("stop", None, client_id))
        expected = {client.id for client in runner.clients.all if client.state != STATE_MISSING}
        deadline = time.monotonic() + Settings.from_options(environment.parsed_options).audit_timeout + WORKER_GRACE
        while time.monotonic() < deadline:
            live = {client.id for client in runner.clients.all if client.state != STATE_MISSING}
            if not (expected - latest["reported"]) & live:
                break
            gevent.sleep(0.1)
        for client_id in stopped_here:
            runner.server.send_to_client(Message("quit", None, client_id))
        missing = latest["seen"] - latest["reported"]
        if missing:
            latest["result"] = latest["result"] + AuditResult(missing_workers=len(missing))
            latest["audited"] = True
        let_csv_writer_catch_up()

    def let_csv_writer_catch_up():
        """Locust's CSV writer runs once a second and not at exit: give it one turn with the audit rows."""
        if getattr(environment.parsed_options, "csv_prefix", None):
            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.1)

    def on_quitting(**_kw):
        # Locust settles the exit code before it stops the runner on Ctrl-C or SIGTERM: stop (and
        # audit) first, so that lost writes count in the exit code. A master quits, so that its
        # workers are stopped and audited by collect_from_workers, then told to quit.
        if runner.state not in (STATE_INIT, STATE_STOPPED, STATE_STOPPING):
            runner.quit() if isinstance(runner, MasterRunner) else runner.stop()

    def on_quit(**_kw):
        if latest["audited"]:
            logger.info(latest["result"].summary_line())

    environment.events.test_start.add_listener(on_test_start)
    environment.events.test_stop.add_listener(on_test_stop)
    if isinstance(runner, MasterRunner):
        runner.register_message(MESSAGE, on_worker_result)
        environment.events.worker_report.add_listener(on_worker_report)
    if not isinstance(runner, WorkerRunner):
        environment.events.quitting.add_listener(on_quitting)
        environment.events.quit.add_listener(on_quit)

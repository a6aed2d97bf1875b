"""The write audit: when a test stops, read back what this process wrote and say what survived.

Register from the locustfile (``verification.hooks`` does)::

    events.init.add_listener(WriteAudit.register)

Where users run (a local runner or each worker), the audit reads back the keys of the write
ledger (all of them, or a random sample of ``--audit-sample`` keys; within ``--audit-timeout``)
with up to 20 reads at a time, named ``GET /ctx (audit)``. Each key whose last acknowledged
write is gone is a failure in the stats row ``AUDIT lost writes``. Workers send their figures
to the master (``common.worker_figures``), which waits for them and sums them; the master (or
the local process) logs one summary line when Locust quits, after its own tables::

    Write audit: 1200 writes acknowledged on 900 keys; 900 checked: 899 verified, 1 lost, ...
"""

import logging
import random
from dataclasses import asdict, dataclass

import gevent
from gevent.pool import Pool
from locust.contrib.fasthttp import FastHttpSession
from locust.runners import STATE_INIT, STATE_STOPPED, STATE_STOPPING
from locust.stats import CSV_STATS_INTERVAL_SEC

from common import names
from common.run import Run
from common.settings import Settings
from common.worker_figures import WorkerFigures
from verification.checks import json_body
from verification.ledger import CHANGED, VERIFIED, WriteLedger
from verification.target_watch import TargetWatch

logger = logging.getLogger(__name__)

CONCURRENT_READS = 20


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
    canary_lost: int = 0  # processes whose canary key (verification.target_watch) was lost with no restart seen
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
    acknowledged before a target restart were lost to it (``verification.target_watch``).
    """
    ledger = Run.of(environment).get(WriteLedger)
    watch = TargetWatch.of(environment)
    result = AuditResult(acknowledged=ledger.acknowledged, keys=len(ledger), processes=1)
    if not len(ledger) or not settings.audit_sample or not environment.host:
        return result
    canary_key = watch.canary_key
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
        with session.get(f"/ctx?key={key}", name=names.AUDIT_READ_ROW.name, catch_response=True) as response:
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
        names.LOST_WRITES_ROW.fire(environment.events, exception=LostWrite("acknowledged write not found"))

    pool = Pool(CONCURRENT_READS)
    with gevent.Timeout(settings.audit_timeout or None, False):
        for key in keys:
            pool.spawn(check, key)
        pool.join()
    pool.kill()
    if missing:  # the target answered those reads: an outage they ran into is being resolved
        watch.settle(timeout=settings.request_timeout + 1)
    for key in missing:
        if watch.restarted_after(ledger.acked_at(key)):
            result.lost_to_restarts += 1
        else:
            lose(key)
    result.restarts = watch.restart_count
    result.unchecked = len(keys) - result.checked - result.unreadable
    return result


class WriteAudit:
    """The audit's listeners for one run: audit where users run, sum and report where the run is reported."""

    def __init__(self, environment):
        self.environment = environment
        self.run = Run.of(environment)
        self.results = WorkerFigures(
            environment, names.AUDIT_MESSAGE, encode=asdict, decode=lambda data: AuditResult(**data)
        )

    @classmethod
    def register(cls, environment, **_kwargs) -> "WriteAudit":
        """An ``init`` listener."""
        audit = Run.of(environment).put(cls(environment))
        events = environment.events
        events.test_stop.add_listener(audit.on_test_stop)
        if not audit.run.is_worker:
            events.quitting.add_listener(audit.on_quitting)
            events.quit.add_listener(audit.on_quit)
        return audit

    def on_test_stop(self, **_kwargs) -> None:
        if self.run.is_master:
            self.let_csv_writer_catch_up()  # the workers' audits arrived first (common.worker_figures)
            return
        result = run_audit(self.environment, self.run.settings)
        if self.run.is_worker:
            logger.info("%s (this worker)", result.summary_line())
            # Locust sends a stopped worker's stats only every few seconds: send the audit's rows
            # now, ahead of the figures, so the master has them when it ends the run.
            self.environment.runner._send_stats()
        self.results.publish(result)
        if not self.run.is_worker:
            self.let_csv_writer_catch_up()

    def let_csv_writer_catch_up(self) -> None:
        """Locust's CSV writer runs once a second and not at exit: give it one turn with the audit rows."""
        if getattr(self.environment.parsed_options, "csv_prefix", None):
            gevent.sleep(CSV_STATS_INTERVAL_SEC + 0.1)

    def on_quitting(self, **_kwargs) -> None:
        # Locust settles the exit code before it stops the runner on Ctrl-C or SIGTERM: stop (and
        # audit) first, so that lost writes count in the exit code. A master quits, so that its
        # workers are stopped, audited and told to quit (common.worker_figures).
        runner = self.environment.runner
        if runner.state not in (STATE_INIT, STATE_STOPPED, STATE_STOPPING):
            runner.quit() if self.run.is_master else runner.stop()

    def summary(self) -> AuditResult | None:
        """The run's audit, summed over its processes; None when no process audited."""
        missing = self.results.missing()
        if not self.results.published and not missing:
            return None
        return self.results.merged(AuditResult(missing_workers=len(missing)))

    def on_quit(self, **_kwargs) -> None:
        result = self.summary()
        if result is not None:
            logger.info(result.summary_line())

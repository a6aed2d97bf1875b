"""The write ledger and the end-of-test audit, against the real reference server."""

import random

from locust import constant

from traffic.writer import ContextWriter
from verification.audit import AuditResult
from verification.ledger import CHANGED, LOST, VERIFIED, WriteLedger
from verification.values import make_value


class FastWriter(ContextWriter):
    wait_time = constant(0.005)


def lost_rows(environment) -> int:
    return environment.stats.get("lost writes", "AUDIT").num_failures


def test_judging_a_read_back():
    ledger = WriteLedger()
    ledger.record("k", make_value(ledger.run_tag, 1, 64), acked_at=0)
    older = make_value(ledger.run_tag, 0, 64)
    latest = make_value(ledger.run_tag, 2, 64)
    ledger.record("k", latest, acked_at=1)
    assert ledger.judge("k", latest) == VERIFIED
    assert ledger.judge("k", None) == LOST
    assert ledger.judge("k", older) == LOST  # an older write of this run: the last was lost
    assert ledger.judge("k", {"someone": "else"}) == CHANGED
    cut_off = make_value(ledger.run_tag, 3, 64)  # sent, applied, but the stop cut off its ack
    assert ledger.judge("k", cut_off) == VERIFIED
    assert ledger.acknowledged == 2 and len(ledger) == 1


def test_sample_is_all_keys_or_a_random_subset():
    ledger = WriteLedger()
    for n in range(10):
        ledger.record(f"k{n}", n, acked_at=0)
    assert sorted(ledger.sample(50, random.Random(1))) == sorted(ledger.keys())
    subset = ledger.sample(4, random.Random(1))
    assert len(set(subset)) == 4 and set(subset) <= set(ledger.keys())


def test_healthy_server_loses_nothing(run_locust, server):
    environment = run_locust([FastWriter], server.url, seconds=2, users=3, key_space=1_000_000)
    audit_reads = environment.stats.get("GET /ctx (audit)", "GET")
    assert audit_reads.num_requests > 0 and audit_reads.num_failures == 0
    assert lost_rows(environment) == 0


def test_audit_reports_exactly_the_writes_the_server_dropped(run_locust, start_server, http):
    server = start_server("--drop-write-rate", "0.2", "--fault-seed", "5")
    # Every write goes to a new key (a key space far larger than the writes), so each dropped
    # write stays visible to the read-back.
    environment = run_locust([FastWriter], server.url, seconds=3, users=3, key_space=1_000_000)
    dropped = http.get(f"{server.url}/_faults").json()["dropped_writes"]
    assert dropped > 0
    assert lost_rows(environment) == dropped
    # Every acknowledged write is read back, the target watch's canary key (verification.target_watch) too.
    acknowledged = sum(environment.stats.get(name, "POST").num_requests for name in ("POST /ctx", "POST /ctx (canary)"))
    assert environment.stats.get("POST /ctx (canary)", "POST").num_requests == 1
    assert environment.stats.get("GET /ctx (audit)", "GET").num_requests == acknowledged


def test_audit_sample_bounds_the_read_back(run_locust, server):
    environment = run_locust([FastWriter], server.url, seconds=2, users=3, key_space=1_000_000, audit_sample=25)
    assert environment.stats.get("GET /ctx (audit)", "GET").num_requests == 25


def test_audit_can_be_turned_off(run_locust, server):
    environment = run_locust([FastWriter], server.url, seconds=1, users=2, audit_sample=0)
    assert environment.stats.get("GET /ctx (audit)", "GET").num_requests == 0


def test_the_summary_line_names_restarts_a_lost_canary_and_missing_workers():
    line = AuditResult(
        acknowledged=10, keys=8, checked=8, verified=5, lost=1, lost_to_restarts=2, restarts=1, canary_lost=1,
        processes=1, missing_workers=1,
    ).summary_line()  # fmt: skip
    assert "5 verified, 1 lost, 0 changed by others, 0 unreadable, 2 lost to 1 target restart (" in line
    assert "; the canary key is among the lost (a target restart no request saw?)" in line
    assert line.endswith(
        "; summed over 1 worker; 1 worker(s) went missing during the run: their writes are not audited"
    )
    nothing = AuditResult(missing_workers=1).summary_line()
    assert nothing.startswith("Write audit: no writes were acknowledged; 1 worker(s) went missing during the run")
    # Every worker sees the same restarts: summed figures, but the most restarts any one saw.
    both = AuditResult(restarts=1, lost_to_restarts=3) + AuditResult(restarts=1, lost_to_restarts=4)
    assert (both.restarts, both.lost_to_restarts) == (1, 7)

"""The push ledger's bookkeeping and its figures, without a server (times in seconds on one clock)."""

import pytest

from verification.push_figures import PushFigures
from verification.push_ledger import PushLedger


def ledger_with(sessions, deadline=5.0, at=0.0) -> PushLedger:
    ledger = PushLedger(deadline=deadline)
    for session in sessions:
        ledger.subscribe(session, at=at)
    return ledger


def counts(ledger, *names):
    return tuple(ledger.figures.counts[name] for name in names)


def test_every_subscribed_session_is_expected_and_latency_runs_from_the_send():
    ledger = ledger_with([0, 1, 2])
    ledger.expect("k", {"n": 1}, sent_at=100.0)
    ledger.receive(0, "k", {"n": 1}, received_at=100.25)
    ledger.receive(1, "k", {"n": 1}, received_at=100.5)
    assert ledger.expire(now=106.0) == 1  # session 2 never heard
    assert counts(ledger, "expected", "delivered", "lost") == (3, 2, 1)
    figures = ledger.figures
    assert figures.latency_ms(0.0) == pytest.approx(250, rel=0.001) and figures.latency_ms(1.0) == pytest.approx(
        500, rel=0.001
    )
    assert figures.mean_latency_ms == pytest.approx(375)
    assert figures.reach_percent == pytest.approx(200 / 3) and figures.counts["writes_complete"] == 0


def test_a_push_that_comes_before_the_writer_has_its_answer_is_timed_from_the_send_not_zero():
    ledger = ledger_with([0])
    write = ledger.expect("k", 7, sent_at=10.000)  # noted before sending: the server may push before it answers
    ledger.receive(0, "k", 7, received_at=10.002)
    assert ledger.figures.latency_ms(0.5) == pytest.approx(2.0, rel=0.01)
    ledger.cancel(write)  # an answer that came too late cancels nothing already delivered
    assert counts(ledger, "expected", "delivered") == (1, 1)


def test_a_write_every_subscriber_got_gives_its_fan_out_time():
    ledger = ledger_with([0, 1, 2])
    ledger.expect("k", 1, sent_at=0.0)
    for session, at in ((0, 0.003), (2, 0.001), (1, 0.009)):
        ledger.receive(session, "k", 1, received_at=at)
    assert ledger.figures.fanout_ms(1.0) == pytest.approx(9.0, rel=0.01)  # until the last of them had it
    assert ledger.figures.reach_percent == 100.0 and ledger.pending_pushes() == 0


def test_the_writer_session_is_not_expected_to_hear_its_own_write():
    ledger = ledger_with([0, 1])
    ledger.expect("k", 1, sent_at=0.0, sender=0)
    assert ledger.figures.counts["expected"] == 1
    ledger.receive(0, "k", 1, received_at=0.1)
    assert counts(ledger, "delivered", "foreign") == (0, 1)


def test_sessions_that_subscribe_after_the_send_are_not_expected():
    ledger = ledger_with([0])
    ledger.expect("k", 1, sent_at=1.0)
    ledger.subscribe(1, at=1.5)
    ledger.receive(1, "k", 1, received_at=1.6)
    assert counts(ledger, "expected", "delivered", "foreign") == (1, 0, 1)


def test_a_write_that_fails_expects_nothing():
    ledger = ledger_with([0, 1])
    ledger.cancel(ledger.expect("k", 1, sent_at=0.0))
    assert ledger.figures.counts["expected"] == 0 and ledger.expire(now=10.0) == 0 and ledger.pending_pushes() == 0


def test_duplicates_out_of_order_late_and_foreign_pushes_are_counted_apart():
    ledger = ledger_with([0])
    ledger.expect("k", "old", sent_at=0.0)
    ledger.expect("k", "new", sent_at=0.1)
    ledger.receive(0, "k", "new", received_at=0.2)
    ledger.receive(0, "k", "old", received_at=0.3)  # the older write after the newer one
    ledger.receive(0, "k", "new", received_at=0.4)  # the same push twice
    ledger.receive(0, "never-written", 1, received_at=0.5)  # another client's write
    assert counts(ledger, "delivered", "out_of_order", "duplicated", "foreign") == (2, 1, 1, 1)
    ledger.expect("j", 1, sent_at=1.0)
    assert ledger.expire(now=7.0) == 1
    ledger.receive(0, "j", 1, received_at=7.5)  # after its deadline: late, not a latency sample
    assert counts(ledger, "late", "delivered") == (1, 2)


def test_identical_writes_each_expect_a_push():
    ledger = ledger_with([0])
    ledger.expect("k", 1, sent_at=0.0)
    ledger.expect("k", 1, sent_at=0.1)
    ledger.receive(0, "k", 1, received_at=0.2)
    ledger.receive(0, "k", 1, received_at=0.3)
    assert counts(ledger, "delivered", "duplicated") == (2, 0) and ledger.expire(now=10.0) == 0


def test_a_session_that_leaves_is_no_longer_expected():
    ledger = ledger_with([0, 1])
    ledger.expect("k", 1, sent_at=0.0)
    ledger.receive(0, "k", 1, received_at=0.1)
    ledger.unsubscribe(1)
    assert ledger.expire(now=10.0) == 0 and counts(ledger, "expected", "lost") == (1, 0)
    assert ledger.figures.counts["writes_complete"] == 1 and ledger.subscribed == 1


def test_figures_merge_exactly_and_survive_their_encoding():
    first, second = PushFigures(), PushFigures()
    for milliseconds in range(1, 101):
        (first if milliseconds <= 50 else second).delivered(milliseconds / 1000)
    first.settled(2, 2, 0.004)
    second.settled(2, 1, None)
    second.count("lost")
    merged = PushFigures.from_dict(first.to_dict()) + PushFigures.from_dict(second.to_dict())
    assert merged.counts["delivered"] == 100 and merged.counts["lost"] == 1
    assert merged.latency_ms(0.5) == pytest.approx(50, rel=0.01) and merged.latency_ms(0.95) == pytest.approx(
        95, rel=0.01
    )
    assert merged.reach_percent == pytest.approx(75.0) and merged.reach_lowest == 0.5
    assert merged.mean_latency_ms == pytest.approx(50.5)

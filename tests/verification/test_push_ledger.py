"""The push ledger's bookkeeping, without a server."""

from verification.push_ledger import PushLedger


def ledger_with(sessions, deadline=5.0) -> PushLedger:
    ledger = PushLedger(deadline=deadline)
    for session in sessions:
        ledger.subscribe(session)
    return ledger


def test_every_subscribed_session_is_expected_and_delivery_is_timed_from_the_ack():
    ledger = ledger_with([0, 1, 2])
    ledger.expect("k", {"n": 1}, acked_at=100.0)
    assert ledger.receive(0, "k", {"n": 1}, received_at=100.25) == 0.25
    assert ledger.receive(1, "k", {"n": 1}, received_at=100.5) == 0.5
    assert ledger.expire(now=106.0) == 1  # session 2 never heard
    assert (ledger.counts.expected, ledger.counts.delivered, ledger.counts.lost) == (3, 2, 1)


def test_the_writer_session_is_not_expected_to_hear_its_own_write():
    ledger = ledger_with([0, 1])
    ledger.expect("k", 1, acked_at=0.0, sender=0)
    assert ledger.counts.expected == 1
    assert ledger.receive(0, "k", 1, received_at=0.1) is None


def test_sessions_that_subscribe_later_are_not_expected():
    ledger = ledger_with([0])
    ledger.expect("k", 1, acked_at=0.0)
    ledger.subscribe(1)
    assert ledger.receive(1, "k", 1, received_at=0.1) is None
    assert ledger.counts.expected == 1


def test_a_value_that_differs_is_not_a_delivery():
    ledger = ledger_with([0])
    ledger.expect("k", {"n": 1}, acked_at=0.0)
    assert ledger.receive(0, "k", {"n": 2}, received_at=0.1) is None
    assert ledger.expire(now=10.0) == 1


def test_duplicates_and_out_of_order_arrivals_are_counted():
    ledger = ledger_with([0])
    ledger.expect("k", "old", acked_at=0.0)
    ledger.expect("k", "new", acked_at=0.1)
    ledger.receive(0, "k", "new", received_at=0.2)
    ledger.receive(0, "k", "old", received_at=0.3)  # older write after the newer one
    ledger.receive(0, "k", "new", received_at=0.4)  # the same push twice
    ledger.settle_early()  # (or 2 s later): no identical write claimed it
    assert (ledger.counts.delivered, ledger.counts.out_of_order, ledger.counts.duplicated) == (2, 1, 1)


def test_a_push_that_arrives_before_its_ack_is_processed_still_counts():
    ledger = ledger_with([0])
    assert ledger.receive(0, "k", 7, received_at=10.002) is None  # the writer's greenlet has not run yet
    latencies = ledger.expect("k", 7, acked_at=10.001)
    assert len(latencies) == 1 and 0 < latencies[0] < 0.01
    assert ledger.counts.delivered == 1 and ledger.expire(now=100.0) == 0


def test_pending_pushes_are_not_lost_before_their_deadline():
    ledger = ledger_with([0, 1])
    ledger.expect("k", 1, acked_at=0.0)
    assert ledger.expire(now=4.9) == 0 and ledger.pending_pushes() == 2
    assert ledger.expire(now=5.0) == 2 and ledger.pending_pushes() == 0


def test_unsubscribing_forgets_the_session_for_new_writes():
    ledger = ledger_with([0, 1])
    ledger.unsubscribe(1)
    ledger.expect("k", 1, acked_at=0.0)
    assert ledger.counts.expected == 1 and ledger.subscribed == 1


def test_identical_writes_each_get_their_push():
    ledger = ledger_with([0])
    ledger.expect("k", {"catalog": 1}, acked_at=0.0)  # two users wrote the same value at once
    ledger.expect("k", {"catalog": 1}, acked_at=0.0)
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)
    assert (ledger.counts.delivered, ledger.counts.duplicated) == (2, 0)
    assert ledger.expire(now=10.0) == 0
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.2)


def test_identical_pushes_that_arrive_before_both_acks_go_one_to_each_write():
    ledger = ledger_with([0])
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)
    ledger.expect("k", {"catalog": 1}, acked_at=0.05)
    ledger.expect("k", {"catalog": 1}, acked_at=0.05)
    assert (ledger.counts.delivered, ledger.counts.duplicated, ledger.expire(now=10.0)) == (2, 0, 0)


def test_a_session_that_joined_after_the_ack_is_not_expected_even_if_the_ack_is_noted_late():
    ledger = ledger_with([0])
    ledger.subscribe(1, at=10.5)
    ledger.expect("k", 1, acked_at=10.0)  # acknowledged at 10.0, noted after session 1 joined
    assert ledger.counts.expected == 1


def test_second_identical_push_between_the_two_acks_goes_to_the_second_write():
    ledger = ledger_with([0])
    ledger.expect("k", {"catalog": 1}, acked_at=0.0)
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)
    ledger.receive(0, "k", {"catalog": 1}, received_at=0.1)  # the second write's push, before its ack is noted
    ledger.expect("k", {"catalog": 1}, acked_at=0.05)
    ledger.settle_early()
    assert (ledger.counts.delivered, ledger.counts.duplicated, ledger.expire(now=10.0)) == (2, 0, 0)

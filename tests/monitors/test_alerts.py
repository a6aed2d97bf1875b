"""The alert state machine, fed deterministic values and times."""

from copy import copy

import pytest

from monitors.alerts import AlertBook
from monitors.rules import Rule

CPU = Rule("cpu", "target_cpu_percent", warning=70, critical=90, hysteresis=5)


def feed(book: AlertBook, rule: Rule, samples) -> list[list]:
    """Evaluate ``rule`` with each (now, value); copies of the alerts changed by each call, as they were then."""
    return [[copy(alert) for alert in book.evaluate([rule], {rule.name: value}, now)] for now, value in samples]


def states(changes) -> list:
    return [[(alert.id, alert.severity, alert.state) for alert in changed] for changed in changes]


# --- firing --------------------------------------------------------------------------------------


def test_a_rule_without_sustained_for_fires_at_once():
    book = AlertBook()
    (alert,) = book.evaluate([CPU], {"cpu": 75.0}, now=100.0)
    assert (alert.id, alert.rule, alert.metric, alert.endpoint) == (1, "cpu", "target_cpu_percent", None)
    assert (alert.severity, alert.peak_severity, alert.threshold, alert.value) == ("warning", "warning", 70, 75)
    assert (alert.state, alert.started, alert.updated) == ("firing", 100.0, 100.0)
    assert alert.message == "target_cpu_percent 75 above warning 70"
    assert book.active() == [alert]


def test_a_value_at_the_level_is_not_beyond_it():
    assert feed(AlertBook(), CPU, [(0, 70.0), (1, 69.0)]) == [[], []]


def test_a_level_fires_only_once_sustained_for_its_duration():
    rule = Rule("cpu", "target_cpu_percent", warning=70, critical=90, sustained_for=5)
    book = AlertBook()
    changes = feed(book, rule, [(0, 93.2), (4, 93.2), (4.9, 95.0), (5, 93.2)])
    assert states(changes) == [[], [], [], [(1, "critical", "firing")]]
    assert changes[-1][0].message == "target_cpu_percent 93.2 above critical 90 for 5 s"
    assert changes[-1][0].started == 5


def test_a_dip_back_inside_restarts_the_timer():
    rule = Rule("cpu", "target_cpu_percent", warning=70, sustained_for=5)
    changes = feed(AlertBook(), rule, [(0, 80.0), (3, 60.0), (4, 80.0), (8, 80.0), (9, 80.0)])
    assert states(changes) == [[], [], [], [], [(1, "warning", "firing")]]


def test_each_level_has_its_own_timer():
    rule = Rule("cpu", "target_cpu_percent", warning=70, critical=90, sustained_for=5)
    book = AlertBook()
    changes = feed(book, rule, [(0, 95.0), (3, 80.0), (5, 95.0), (9.9, 95.0), (10, 95.0)])
    assert states(changes) == [[], [], [(1, "warning", "firing")], [], [(1, "critical", "firing")]]


def test_no_data_restarts_the_timers_and_leaves_alerts_as_they_are():
    rule = Rule("cpu", "target_cpu_percent", warning=70, sustained_for=5)
    book = AlertBook()
    assert feed(book, rule, [(0, 80.0), (3, None), (5, 80.0), (9, 80.0)]) == [[], [], [], []]
    (alert,) = book.evaluate([rule], {"cpu": 80.0}, now=10)
    assert feed(book, rule, [(11, None), (12, float("nan"))]) == [[], []]
    assert book.evaluate([rule], {}, now=13) == []
    assert (alert.state, alert.value, alert.updated) == ("firing", 80.0, 10)


# --- hysteresis ----------------------------------------------------------------------------------


def test_a_value_flapping_across_the_line_keeps_one_alert():
    rule = Rule("cpu", "target_cpu_percent", warning=70)  # margin: 5% of 70 = 3.5
    book = AlertBook()
    changes = feed(book, rule, [(0, 71.0), (1, 69.0), (2, 71.0), (3, 67.0), (4, 70.5), (5, 66.6)])
    assert states(changes) == [[(1, "warning", "firing")], [], [], [], [], []]
    assert len(book.all()) == 1
    (resolved,) = book.evaluate([rule], {"cpu": 66.4}, now=6)
    assert (resolved.id, resolved.state, resolved.resolved_at) == (1, "resolved", 6)
    assert resolved.message == "target_cpu_percent 66.4 back below 70, resolved"
    assert book.active() == []


def test_the_hysteresis_of_the_rule_replaces_the_default_margin():
    rule = Rule("cpu", "target_cpu_percent", warning=70, hysteresis=10)
    changes = feed(AlertBook(), rule, [(0, 71.0), (1, 60.0), (2, 59.9)])
    assert states(changes) == [[(1, "warning", "firing")], [], [(1, "warning", "resolved")]]


def test_a_resolved_alert_is_never_reused():
    book = AlertBook()
    changes = feed(book, CPU, [(0, 75.0), (1, 60.0), (2, 75.0)])
    assert states(changes) == [[(1, "warning", "firing")], [(1, "warning", "resolved")], [(2, "warning", "firing")]]
    assert [(alert.id, alert.state) for alert in book.all()] == [(2, "firing"), (1, "resolved")]


# --- escalation ----------------------------------------------------------------------------------


def test_escalation_and_de_escalation_move_the_same_alert():
    book = AlertBook()
    changes = feed(book, CPU, [(0, 75.0), (1, 95.0), (2, 86.0), (3, 84.0), (4, 66.0), (5, 64.0)])
    assert states(changes) == [
        [(1, "warning", "firing")],
        [(1, "critical", "firing")],
        [],  # still within the margin of critical (90 - 5)
        [(1, "warning", "firing")],
        [],  # still within the margin of warning (70 - 5)
        [(1, "warning", "resolved")],
    ]
    (alert,) = book.all()
    assert (alert.peak_severity, alert.threshold, alert.started, alert.value) == ("critical", 70, 0, 64.0)


def test_messages_follow_the_severity():
    book = AlertBook()
    feed(book, CPU, [(0, 75.0), (1, 95.0)])
    (alert,) = book.active()
    assert (alert.message, alert.threshold) == ("target_cpu_percent 95 above critical 90", 90)
    book.evaluate([CPU], {"cpu": 80.25}, now=2)
    assert alert.message == "target_cpu_percent 80.25 above warning 70, down from critical"


def test_a_critical_value_that_falls_below_warning_by_the_margin_resolves_at_once():
    changes = feed(AlertBook(), CPU, [(0, 95.0), (1, 50.0)])
    assert states(changes) == [[(1, "critical", "firing")], [(1, "critical", "resolved")]]


def test_a_critical_value_that_falls_into_the_warning_margin_becomes_a_warning():
    changes = feed(AlertBook(), CPU, [(0, 95.0), (1, 68.0)])
    assert states(changes) == [[(1, "critical", "firing")], [(1, "warning", "firing")]]


def test_a_rule_with_only_a_critical_level_resolves_past_it():
    rule = Rule("cpu", "target_cpu_percent", critical=90, hysteresis=5)
    changes = feed(AlertBook(), rule, [(0, 91.0), (1, 86.0), (2, 85.5), (3, 84.9)])
    assert states(changes) == [[(1, "critical", "firing")], [], [], [(1, "critical", "resolved")]]


# --- below rules ---------------------------------------------------------------------------------


def test_a_below_rule_mirrors_an_above_rule():
    rps = Rule("rps-low", "rps", warning=5, critical=1, direction="below")  # margins 0.25 and 0.05
    book = AlertBook()
    changes = feed(book, rps, [(0, 5.0), (1, 4.0), (2, 0.5), (3, 1.04), (4, 2.0), (5, 5.2), (6, 5.3)])
    assert states(changes) == [
        [],
        [(1, "warning", "firing")],
        [(1, "critical", "firing")],
        [],
        [(1, "warning", "firing")],
        [],
        [(1, "warning", "resolved")],
    ]
    assert book.all()[0].message == "rps 5.3 back above 5, resolved"


def test_a_below_message_says_below():
    rps = Rule("rps-low", "rps", warning=1, direction="below", sustained_for=10)
    (alert,) = feed(AlertBook(), rps, [(0, 0.5), (10, 0.25)])[-1]
    assert alert.message == "rps 0.25 below warning 1 for 10 s"


def test_a_per_endpoint_message_names_the_endpoint():
    rule = Rule("p95-get", "p95_response_ms", "GET /ctx", warning=200, critical=800, sustained_for=0.5)
    (alert,) = feed(AlertBook(), rule, [(0, 900.0), (0.5, 912.345)])[-1]
    assert alert.endpoint == "GET /ctx"
    assert alert.message == "p95_response_ms (GET /ctx) 912.35 above critical 800 for 0.5 s"


# --- acknowledgement -----------------------------------------------------------------------------


def test_acknowledge_flow_and_escalation_fires_again():
    book = AlertBook()
    (alert,) = book.evaluate([CPU], {"cpu": 75.0}, now=0)
    assert book.acknowledge(alert.id, now=1) is alert
    assert (alert.state, alert.acknowledged_at, alert.updated) == ("acknowledged", 1, 1)
    assert book.acknowledge(alert.id, now=2).acknowledged_at == 1  # already acknowledged: unchanged
    assert book.active() == [alert]
    assert book.evaluate([CPU], {"cpu": 72.0}, now=3) == []
    assert alert.state == "acknowledged"
    assert book.evaluate([CPU], {"cpu": 95.0}, now=4) == [alert]
    assert (alert.state, alert.severity, alert.acknowledged_at) == ("firing", "critical", None)


def test_de_escalation_keeps_the_acknowledgement():
    book = AlertBook()
    (alert,) = book.evaluate([CPU], {"cpu": 95.0}, now=0)
    book.acknowledge(alert.id, now=1)
    assert book.evaluate([CPU], {"cpu": 75.0}, now=2) == [alert]
    assert (alert.severity, alert.state) == ("warning", "acknowledged")


def test_acknowledging_an_unknown_or_resolved_alert_fails():
    book = AlertBook()
    feed(book, CPU, [(0, 75.0), (1, 10.0)])
    with pytest.raises(KeyError):
        book.acknowledge(2, now=2)
    with pytest.raises(ValueError, match="resolved"):
        book.acknowledge(1, now=2)


# --- many rules, changes of rules, the book ------------------------------------------------------


def test_ids_count_up_across_rules_and_breaches():
    memory = Rule("memory", "target_memory_mb", warning=500)
    book = AlertBook()
    first = book.evaluate([CPU, memory], {"cpu": 75.0, "memory": 600.0}, now=0)
    assert [(alert.id, alert.rule) for alert in first] == [(1, "cpu"), (2, "memory")]
    book.evaluate([CPU, memory], {"cpu": 10.0, "memory": 600.0}, now=1)
    (again,) = book.evaluate([CPU, memory], {"cpu": 75.0, "memory": 600.0}, now=2)
    assert (again.id, again.rule) == (3, "cpu")
    assert [alert.id for alert in book.active()] == [3, 2]
    assert [alert.id for alert in book.all()] == [3, 2, 1]


def test_critical_held_and_first_abort():
    aborting = Rule("errors", "error_rate_percent", warning=5, critical=15, abort=True)
    rules = [CPU, aborting]
    book = AlertBook()
    book.evaluate(rules, {"cpu": 95.0, "errors": 10.0}, now=0)
    assert [alert.rule for alert in book.critical_held()] == ["cpu"]
    assert book.first_abort(rules) is None  # the abort rule is only at warning
    book.evaluate(rules, {"cpu": 95.0, "errors": 20.0}, now=1)
    assert [alert.rule for alert in book.critical_held()] == ["errors", "cpu"]
    assert book.first_abort(rules).rule == "errors"
    book.acknowledge(book.first_abort(rules).id, now=2)
    assert book.first_abort(rules).state == "acknowledged"  # acknowledged is still held
    book.evaluate(rules, {"cpu": 95.0, "errors": 1.0}, now=3)
    assert book.first_abort(rules) is None
    assert [alert.rule for alert in book.critical_held()] == ["cpu"]


def test_the_first_abort_is_the_oldest():
    rules = [Rule(name, "rps", critical=1, abort=True) for name in ("a", "b", "c")]
    book = AlertBook()
    book.evaluate(rules, {"b": 2.0}, now=0)
    book.evaluate(rules, {"a": 2.0, "b": 2.0, "c": 2.0}, now=1)
    assert book.first_abort(rules).rule == "b"


def test_changed_levels_apply_from_the_next_call():
    book = AlertBook()
    (alert,) = book.evaluate([CPU], {"cpu": 75.0}, now=0)
    assert book.evaluate([CPU.with_levels(warning=72)], {"cpu": 75.0}, now=1) == []
    assert (alert.threshold, alert.state) == (72, "firing")
    raised = CPU.with_levels(warning=80)  # 74 is below 80 - 5
    assert book.evaluate([raised], {"cpu": 74.0}, now=2) == [alert]
    assert alert.state == "resolved"
    lowered = CPU.with_levels(critical=74)
    (again,) = book.evaluate([lowered], {"cpu": 75.0}, now=3)
    assert (again.id, again.severity, again.threshold) == (2, "critical", 74)


def test_the_alert_of_a_removed_rule_is_resolved():
    book = AlertBook()
    (alert,) = book.evaluate([CPU], {"cpu": 75.0}, now=0)
    assert book.evaluate([], {}, now=1) == [alert]
    assert (alert.state, alert.resolved_at, alert.message) == ("resolved", 1, "target_cpu_percent: rule removed")


def test_the_book_keeps_only_the_latest_resolved_alerts():
    book = AlertBook(max_resolved=3)
    for second in range(5):
        feed(book, CPU, [(2 * second, 75.0), (2 * second + 1, 10.0)])
    assert [alert.id for alert in book.all()] == [5, 4, 3]
    with pytest.raises(KeyError):
        book.acknowledge(1, now=20)


def test_as_dict_has_every_field():
    (alert,) = AlertBook().evaluate([CPU], {"cpu": 75.0}, now=0)
    assert alert.as_dict() == {
        "id": 1,
        "rule": "cpu",
        "metric": "target_cpu_percent",
        "endpoint": None,
        "severity": "warning",
        "peak_severity": "warning",
        "value": 75.0,
        "threshold": 70.0,
        "message": "target_cpu_percent 75 above warning 70",
        "started": 0,
        "state": "firing",
        "updated": 0,
        "acknowledged_at": None,
        "resolved_at": None,
    }

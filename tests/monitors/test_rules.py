"""Threshold rules: parsing, the error of every kind of mistake (with its file and line), defaults."""

import re
from textwrap import dedent

import pytest

import monitors.rules
from monitors.metrics import METRICS
from monitors.rules import (
    DEFAULT_RULES,
    Rule,
    ThresholdsError,
    load_rules,
    parse_rules,
    unknown_endpoints,
)

FULL_EXAMPLE = """\
defaults = true          # keep the built-in rules

[[rule]]
name = "p95-get"
metric = "p95_response_ms"
endpoint = "GET /ctx"
warning = 200
critical = 800
direction = "above"
sustained_for = "10s"
abort = true
hysteresis = 20

[[rule]]
metric = "rps"
warning = 5
critical = 1.5
direction = "below"
sustained-for = 2.5
"""


def error_of(text: str) -> str:
    with pytest.raises(ThresholdsError) as raised:
        parse_rules(dedent(text), "t.toml")
    message = str(raised.value)
    assert "\n" not in message
    return message


def rule_text(*lines: str, header_line: int = 1) -> str:
    """A file whose single [[rule]] header is on ``header_line``, followed by ``lines``."""
    return "# comment\n" * (header_line - 1) + "[[rule]]\n" + "".join(line + "\n" for line in lines)


# --- a valid file --------------------------------------------------------------------------------


def test_a_full_example_parses_into_rules_with_their_lines():
    first, second = parse_rules(FULL_EXAMPLE, "t.toml")
    assert first == Rule(
        name="p95-get",
        metric="p95_response_ms",
        endpoint="GET /ctx",
        warning=200.0,
        critical=800.0,
        direction="above",
        sustained_for=10.0,
        abort=True,
        hysteresis=20.0,
        line=3,
        source="t.toml",
    )
    assert second == Rule("rps", "rps", None, 5.0, 1.5, "below", 2.5, line=14, source="t.toml")


def test_levels_are_floats_and_the_default_name_includes_the_endpoint():
    (rule,) = parse_rules(rule_text('metric = "rps"', 'endpoint = "GET /ctx"', "warning = 3"), "t.toml")
    assert rule.name == "rps:GET /ctx"
    assert type(rule.warning) is float and rule.critical is None
    assert (rule.direction, rule.sustained_for, rule.abort, rule.hysteresis) == ("above", 0.0, False, None)


def test_a_file_without_rules_has_none():
    assert parse_rules("", "t.toml") == []
    assert parse_rules("defaults = false\n", "t.toml") == []


def test_every_rule_key_of_the_docstring_example_is_accepted():
    example = "\n".join(line[4:] for line in monitors.rules.__doc__.splitlines() if line.startswith("    "))
    (rule,) = parse_rules(example, "doc")
    assert (rule.name, rule.endpoint, rule.abort, rule.sustained_for, rule.hysteresis) == (
        "p95-get",
        "GET /ctx",
        True,
        10.0,
        20.0,
    )


# --- errors, each with its file and line ---------------------------------------------------------


def test_malformed_toml_names_the_line_tomllib_found():
    message = error_of('[[rule]]\nmetric = "rps"\nwarning = \ncritical = 3\n')
    assert message.startswith("t.toml:3: invalid TOML: Invalid value")
    assert "(at line" not in message


def test_malformed_toml_at_the_end_of_the_file_names_its_last_line():
    assert error_of('[[rule]]\nmetric = "rps"\nwarning = [1,\n').startswith("t.toml:3: invalid TOML:")


def test_an_unknown_metric_is_named_with_a_suggestion_and_the_valid_names():
    message = error_of(rule_text('metric = "p95_respons_ms"', "warning = 1", header_line=3))
    assert message.startswith("t.toml:4: unknown metric 'p95_respons_ms' (did you mean 'p95_response_ms'?)")
    assert all(name in message for name in METRICS)


def test_a_rule_without_a_metric_names_its_header():
    assert error_of(rule_text("warning = 1", header_line=2)).startswith("t.toml:2: a [[rule]] needs a metric")


def test_an_unknown_key_in_a_rule_is_named_on_its_line():
    message = error_of(rule_text('metric = "rps"', "warning = 1", "sustain = 5", header_line=4))
    assert message.startswith("t.toml:7: unknown key 'sustain' in [[rule]]")


def test_an_endpoint_on_a_metric_that_is_not_per_endpoint_is_refused():
    message = error_of(rule_text('metric = "target_cpu_percent"', 'endpoint = "GET /ctx"', "warning = 1"))
    assert message.startswith("t.toml:3: metric 'target_cpu_percent' is not per endpoint")
    assert "'GET /ctx'" in message and "p95_response_ms" in message


def test_a_rule_needs_a_warning_or_a_critical_level():
    message = error_of(rule_text('name = "x"', 'metric = "rps"', header_line=5))
    assert message == "t.toml:5: rule 'x' has neither warning nor critical"


@pytest.mark.parametrize("level", ["warning", "critical"])
def test_a_level_that_is_not_a_number_is_named_on_its_line(level):
    assert error_of(rule_text('metric = "rps"', f'{level} = "90%"')) == f"t.toml:3: {level} must be a number, got '90%'"


def test_a_hysteresis_that_is_not_a_number_is_named_on_its_line():
    message = error_of(rule_text('metric = "rps"', "warning = 1", 'hysteresis = "5%"'))
    assert message == "t.toml:4: hysteresis must be a number, got '5%'"


def test_a_boolean_level_is_not_a_number():
    assert error_of(rule_text('metric = "rps"', "warning = true")) == "t.toml:3: warning must be a number, got True"


def test_an_above_rule_with_warning_above_critical_is_refused():
    message = error_of(rule_text('metric = "rps"', "critical = 90", "warning = 95", header_line=2))
    assert message == "t.toml:5: warning 95 is above critical 90"


def test_a_below_rule_with_warning_below_critical_is_refused():
    message = error_of(rule_text('metric = "rps"', 'direction = "below"', "warning = 1", "critical = 5"))
    assert message.startswith("t.toml:4: warning 1 is below critical 5")


def test_a_bad_direction_is_named():
    message = error_of(rule_text('metric = "rps"', "warning = 1", 'direction = "up"'))
    assert message == "t.toml:4: direction must be 'above' or 'below', got 'up'"


@pytest.mark.parametrize("key", ["sustained_for", "sustained-for"])
def test_a_negative_duration_is_named_on_its_line(key):
    message = error_of(rule_text('metric = "rps"', "warning = 1", f'{key} = "-5s"', header_line=3))
    assert message == f"t.toml:6: {key}: duration '-5s' is negative"


def test_a_garbage_duration_is_named_on_its_line():
    message = error_of(rule_text('metric = "rps"', 'sustained_for = "soon"', "warning = 1"))
    assert message.startswith("t.toml:3: sustained_for: invalid duration 'soon'")


def test_both_spellings_of_sustained_for_at_once_are_refused():
    message = error_of(rule_text('metric = "rps"', "warning = 1", "sustained_for = 1", "sustained-for = 2"))
    assert message == "t.toml:5: give sustained_for or sustained-for, not both"


def test_a_negative_hysteresis_is_refused():
    message = error_of(rule_text('metric = "rps"', "warning = 1", "hysteresis = -1"))
    assert message == "t.toml:4: hysteresis must not be negative, got -1"


def test_abort_needs_a_boolean_and_a_critical_level():
    assert error_of(rule_text('metric = "rps"', "critical = 1", 'abort = "yes"')).startswith(
        "t.toml:4: abort must be true or false, got 'yes'"
    )
    assert error_of(rule_text('metric = "rps"', "warning = 1", "abort = true")).startswith(
        "t.toml:4: abort = true needs a critical level"
    )


def test_duplicate_rule_names_name_both_lines():
    text = rule_text('name = "a"', 'metric = "rps"', "warning = 1") + rule_text('metric = "rps"', "warning = 2")
    text += rule_text('name = "a"', 'metric = "users"', "warning = 3")
    assert error_of(text) == "t.toml:9: duplicate rule name 'a' (also at line 1); give each rule its own name"


def test_two_unnamed_rules_of_one_metric_collide():
    text = rule_text('metric = "rps"', "warning = 1") + "\n" + rule_text('metric = "rps"', "critical = 2")
    assert error_of(text).startswith("t.toml:5: duplicate rule name 'rps' (also at line 1)")


@pytest.mark.parametrize("text", ["rule = 3\n", '[rule]\nmetric = "rps"\n', "rule = [1, 2]\n"])
def test_rule_must_be_an_array_of_tables(text):
    assert error_of(text).startswith("t.toml:1: 'rule' must be an array of tables")


def test_an_unknown_top_level_key_or_table_is_named_on_its_line():
    assert error_of("\ndefault = false\n").startswith("t.toml:2: unknown top-level key 'default'")
    assert error_of('[[rule]]\nmetric = "rps"\nwarning = 1\n[[rules]]\n').startswith(
        "t.toml:4: unknown top-level key 'rules'"
    )


def test_defaults_must_be_a_boolean():
    assert error_of('defaults = "no"\n') == "t.toml:1: defaults must be true or false, got 'no'"


def test_the_nth_rule_is_found_by_its_nth_header():
    text = rule_text('metric = "rps"', "warning = 1") + "\n\n" + rule_text('metric = "users"', "warning = 3", "x = 1")
    assert error_of(text).startswith("t.toml:9: unknown key 'x'")


def test_inline_rule_tables_fall_back_to_the_line_of_rule():
    assert error_of('\nrule = [{metric = "nope", warning = 1}]\n').startswith("t.toml:2: unknown metric 'nope'")


# --- defaults and merging ------------------------------------------------------------------------


def test_the_built_in_rules_are_those_of_the_replaced_monitor():
    by_name = {rule.name: rule for rule in DEFAULT_RULES}
    assert by_name["target-cpu"] == Rule("target-cpu", "target_cpu_percent", warning=70, critical=90, sustained_for=5)
    assert (by_name["target-memory"].warning, by_name["target-memory"].critical) == (500, 1000)
    assert (by_name["avg-response"].warning, by_name["avg-response"].critical) == (100, 500)
    assert (by_name["error-rate"].warning, by_name["error-rate"].critical) == (5, 15)
    assert by_name["rps-low"] == Rule("rps-low", "rps", warning=1, direction="below", sustained_for=10)
    assert (by_name["ws-sessions"].warning, by_name["ws-sessions"].critical) == (5000, 10000)
    assert all(rule.metric in METRICS for rule in DEFAULT_RULES)


def test_load_rules_keeps_the_built_ins_and_adds_the_file_rules(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text(FULL_EXAMPLE)
    rules = load_rules(path)
    assert [rule.name for rule in rules] == [rule.name for rule in DEFAULT_RULES] + ["p95-get", "rps"]
    assert rules[-1].source == str(path)


def test_a_file_rule_named_like_a_built_in_replaces_it_in_place(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text(rule_text('name = "target-cpu"', 'metric = "target_cpu_percent"', "warning = 150"))
    rules = load_rules(path)
    assert [rule.name for rule in rules] == [rule.name for rule in DEFAULT_RULES]
    assert (rules[0].warning, rules[0].critical, rules[0].line) == (150.0, None, 1)


def test_defaults_false_drops_the_built_ins(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text("defaults = false\n" + rule_text('metric = "users"', "warning = 10"))
    assert [rule.name for rule in load_rules(path)] == ["users"]


def test_an_unreadable_file_is_a_thresholds_error(tmp_path):
    missing = tmp_path / "missing.toml"
    with pytest.raises(ThresholdsError, match=rf"^{re.escape(str(missing))}: cannot read thresholds file"):
        load_rules(missing)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"\xff\xfe")
    with pytest.raises(ThresholdsError, match="not UTF-8"):
        load_rules(binary)


def test_load_rules_reports_errors_with_the_path(tmp_path):
    path = tmp_path / "thresholds.toml"
    path.write_text(rule_text('metric = "rps"', "warning = 2", "critical = 1"))
    with pytest.raises(ThresholdsError, match=rf"^{re.escape(str(path))}:3: warning 2 is above critical 1$"):
        load_rules(path)


def test_unknown_endpoints_are_the_rules_naming_an_endpoint_not_seen():
    known = Rule("a", "rps", "GET /ctx", warning=1)
    unknown = Rule("b", "rps", "GET /nope", warning=1)
    total = Rule("c", "rps", warning=1)
    assert unknown_endpoints([known, unknown, total], {"GET /ctx"}) == [unknown]


# --- a rule's levels -----------------------------------------------------------------------------


def test_levels_above_are_strict_and_critical_wins():
    rule = Rule("r", "rps", warning=70, critical=90)
    assert [rule.level_of(value) for value in (70, 70.1, 90, 90.1)] == [None, "warning", "warning", "critical"]


def test_levels_below_mirror_above():
    rule = Rule("r", "rps", warning=5, critical=1, direction="below")
    assert [rule.level_of(value) for value in (5, 4.9, 1, 0.9)] == [None, "warning", "warning", "critical"]


def test_clearing_needs_the_margin_five_percent_by_default():
    rule = Rule("r", "rps", warning=100, critical=200)
    assert rule.margin(100) == 5.0
    assert not rule.clears("warning", 95) and rule.clears("warning", 94.9)
    assert Rule("r", "rps", warning=100, hysteresis=1).clears("warning", 98.9)
    below = Rule("r", "rps", warning=10, direction="below", hysteresis=2)
    assert not below.clears("warning", 12) and below.clears("warning", 12.1)


def test_with_levels_gives_a_checked_copy():
    rule = Rule("target-cpu", "target_cpu_percent", warning=70, critical=90, abort=True)
    assert rule.with_levels(critical=95) == Rule(
        "target-cpu", "target_cpu_percent", warning=70, critical=95, abort=True
    )
    assert rule.with_levels(warning=None).warning is None
    with pytest.raises(ThresholdsError, match=r"^rule 'target-cpu': warning 99 is above critical 90$"):
        rule.with_levels(warning=99)
    with pytest.raises(ThresholdsError, match="needs a critical level"):
        rule.with_levels(critical=None)
    with pytest.raises(ThresholdsError, match="must be a number"):
        rule.with_levels(warning="high")

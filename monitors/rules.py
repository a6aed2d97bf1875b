"""Threshold rules: what a thresholds file says, checked, merged with the built-in rules. No Locust.

A rule watches one metric (``monitors.metrics``), optionally of one endpoint, and has a warning
level, a critical level or both. ``load_rules(path)`` gives the built-in ``DEFAULT_RULES`` merged
with the file's rules (a file rule named like a built-in replaces it)::

    defaults = true          # optional: keep the built-in rules (the default)

    [[rule]]
    name = "p95-get"         # optional: "<metric>" or "<metric>:<endpoint>" by default
    metric = "p95_response_ms"
    endpoint = "GET /ctx"    # optional, per-endpoint metrics only
    warning = 200
    critical = 800
    direction = "above"      # or "below"
    sustained_for = "10s"    # a duration: 500ms, 10s, 2m, 1h30m, or seconds ("sustained-for" also accepted)
    abort = true             # optional: a critical alert of this rule stops the run
    hysteresis = 20          # optional, in the metric's units (default 5% of the level)

A value is beyond a level when it is strictly above it (strictly below it for a "below" rule).
Every mistake in the file is a ``ThresholdsError`` of one line, ``path:LINE: message``.
"""

import difflib
import math
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from common.durations import parse_duration
from monitors.metrics import METRICS
from monitors.toml_lines import TomlLines

SEVERITIES = ("warning", "critical")  # lowest first
DIRECTIONS = ("above", "below")
DEFAULT_HYSTERESIS_SHARE = 0.05
TOP_LEVEL_KEYS = ("defaults", "rule")
NUMBER_KEYS = ("warning", "critical", "hysteresis")
RULE_KEYS = ("name", "metric", "endpoint", "direction", "sustained_for", "sustained-for", "abort", *NUMBER_KEYS)


class ThresholdsError(ValueError):
    """A thresholds file, or a change to a rule, that cannot be used. ``str()`` is one line."""

    def __init__(self, message: str, source: str | None = None, line: int | None = None):
        self.message = " ".join(message.split())
        self.source, self.line = source, line
        place = ":".join(str(part) for part in (source, line) if part is not None)
        super().__init__(f"{place}: {self.message}" if place else self.message)


class _Invalid(Exception):
    """A bad value in a rule, named by its key so that the parser can say on which line it is."""

    def __init__(self, key: str | None, message: str):
        super().__init__(message)
        self.key, self.message = key, message


_KEEP = object()  # with_levels: leave this level as it is


@dataclass(frozen=True)
class Rule:
    name: str
    metric: str
    endpoint: str | None = None
    warning: float | None = None
    critical: float | None = None
    direction: str = "above"
    sustained_for: float = 0.0
    abort: bool = False
    hysteresis: float | None = None
    line: int | None = None
    source: str | None = None

    def level(self, severity: str) -> float | None:
        return self.critical if severity == "critical" else self.warning

    def beyond(self, severity: str, value: float) -> bool:
        level = self.level(severity)
        if level is None:
            return False
        return value > level if self.direction == "above" else value < level

    def level_of(self, value: float) -> str | None:
        """The highest severity whose level the value is beyond, or None."""
        return next((severity for severity in reversed(SEVERITIES) if self.beyond(severity, value)), None)

    def margin(self, level: float) -> float:
        return self.hysteresis if self.hysteresis is not None else DEFAULT_HYSTERESIS_SHARE * abs(level)

    def clears(self, severity: str, value: float) -> bool:
        """Whether the value is back inside this severity's level by more than the margin."""
        level = self.level(severity)
        if level is None:
            return True
        if self.direction == "above":
            return value < level - self.margin(level)
        return value > level + self.margin(level)

    def with_levels(self, warning=_KEEP, critical=_KEEP) -> "Rule":
        """A copy with other levels (None removes a level), checked like a rule of a file."""
        warning = self.warning if warning is _KEEP else warning
        critical = self.critical if critical is _KEEP else critical
        try:
            return _checked(replace(self, warning=warning, critical=critical))
        except _Invalid as invalid:
            raise ThresholdsError(f"rule {self.name!r}: {invalid.message}") from None


DEFAULT_RULES: tuple[Rule, ...] = (
    Rule("target-cpu", "target_cpu_percent", warning=70, critical=90, sustained_for=5),
    Rule("target-memory", "target_memory_mb", warning=500, critical=1000),
    Rule("avg-response", "avg_response_ms", warning=100, critical=500, sustained_for=5),
    Rule("error-rate", "error_rate_percent", warning=5, critical=15, sustained_for=5),
    Rule("rps-low", "rps", warning=1, direction="below", sustained_for=10),
    Rule("ws-sessions", "ws_sessions", warning=5000, critical=10000),
)


def parse_rules(text: str, source: str) -> list[Rule]:
    """The rules of a thresholds file's text (built-ins not included); ``source`` names it in errors."""
    return _parse(text, source)[0]


def load_rules(path) -> list[Rule]:
    """The built-in rules merged with the file's: a file rule named like a built-in replaces it
    (in the built-in's place), and ``defaults = false`` drops the built-ins."""
    source = str(path)
    try:
        text = _read_small_file(Path(path), source)
    except OSError as error:
        raise ThresholdsError(f"cannot read thresholds file: {error.strerror or error}", source) from None
    except UnicodeDecodeError as error:
        raise ThresholdsError(f"thresholds file is not UTF-8 text: {error.reason}", source) from None
    file_rules, keep_defaults = _parse(text, source)
    if not keep_defaults:
        return file_rules
    by_name = {rule.name: rule for rule in file_rules}
    builtin_names = {rule.name for rule in DEFAULT_RULES}
    merged = [by_name.get(rule.name, rule) for rule in DEFAULT_RULES]
    return merged + [rule for rule in file_rules if rule.name not in builtin_names]


MAX_FILE_BYTES = 16 * 1024 * 1024


def _read_small_file(path: Path, source: str) -> str:
    """A regular file's text, refused before reading when it isn't one (a FIFO would hang, ``/dev/zero``
    never ends) or is larger than ``MAX_FILE_BYTES`` (10,000 rules take about 1 MB)."""
    if path.exists() and not path.is_file():
        what = "a folder" if path.is_dir() else "not a regular file (a device, a FIFO, a socket)"
        raise ThresholdsError(f"thresholds file is {what}", source)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ThresholdsError(f"thresholds file is {size:,} bytes; at most {MAX_FILE_BYTES:,} are read", source)
    return path.read_text(encoding="utf-8")


def unknown_endpoints(rules, known_endpoints) -> list[Rule]:
    """The rules naming an endpoint that is not among ``known_endpoints`` (for the caller to warn of)."""
    known = set(known_endpoints)
    return [rule for rule in rules if rule.endpoint is not None and rule.endpoint not in known]


# --- parsing -----------------------------------------------------------------------------------


def _parse(text: str, source: str) -> tuple[list[Rule], bool]:
    """The file's rules, and whether to keep the built-ins."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _toml_error(error, text, source) from None
    positions = TomlLines(text)
    top_level_line = positions.top_level.get
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            message = f"unknown top-level key {key!r}; a thresholds file has 'defaults' and [[rule]] tables"
            raise ThresholdsError(message, source, top_level_line(key))
    keep_defaults = document.get("defaults", True)
    if not isinstance(keep_defaults, bool):
        message = f"defaults must be true or false, got {keep_defaults!r}"
        raise ThresholdsError(message, source, top_level_line("defaults"))
    tables = document.get("rule", [])
    if not isinstance(tables, list) or not all(isinstance(table, dict) for table in tables):
        message = "'rule' must be an array of tables: write each rule under a [[rule]] header"
        raise ThresholdsError(message, source, top_level_line("rule"))
    rules: list[Rule] = []
    first_line_of: dict[str, int | None] = {}
    for index, table in enumerate(tables):
        header_line, key_lines = positions.rule(index, len(tables))
        try:
            rule = replace(_rule_from_table(table), line=header_line, source=source)
        except _Invalid as invalid:
            raise ThresholdsError(invalid.message, source, key_lines.get(invalid.key, header_line)) from None
        if rule.name in first_line_of:
            first = first_line_of[rule.name]
            message = f"duplicate rule name {rule.name!r}" + (f" (also at line {first})" if first else "")
            raise ThresholdsError(f"{message}; give each rule its own name", source, key_lines.get("name", header_line))
        first_line_of[rule.name] = header_line
        rules.append(rule)
    return rules, keep_defaults


def _rule_from_table(table: dict) -> Rule:
    for key in table:
        if key not in RULE_KEYS:
            raise _Invalid(key, f"unknown key {key!r} in [[rule]]; known keys: {', '.join(RULE_KEYS)}")
    if "sustained_for" in table and "sustained-for" in table:
        raise _Invalid("sustained-for", "give sustained_for or sustained-for, not both")
    metric = table.get("metric")
    if metric is None:
        raise _Invalid(None, "a [[rule]] needs a metric")
    if not isinstance(metric, str) or metric not in METRICS:
        raise _Invalid("metric", _unknown_metric_message(metric))
    endpoint = table.get("endpoint")
    if endpoint is not None:
        if not isinstance(endpoint, str) or not endpoint.strip():
            raise _Invalid("endpoint", f"endpoint must be a name like 'GET /ctx', got {endpoint!r}")
        if not METRICS[metric].per_endpoint:
            per_endpoint = ", ".join(name for name, info in METRICS.items() if info.per_endpoint)
            message = f"metric {metric!r} is not per endpoint, so endpoint {endpoint!r} cannot apply"
            raise _Invalid("endpoint", f"{message} (per-endpoint metrics: {per_endpoint})")
    name = table.get("name", metric if endpoint is None else f"{metric}:{endpoint}")
    if not isinstance(name, str) or not name.strip():
        raise _Invalid("name", f"name must be a non-empty string, got {name!r}")
    if not name.isprintable():  # a NUL or a newline would break the JUnit XML and the log's one-line alerts
        raise _Invalid("name", f"name must be printable text, without control characters, got {name!r}")
    duration_key = "sustained-for" if "sustained-for" in table else "sustained_for"
    try:
        sustained_for = parse_duration(table.get(duration_key, 0))
    except ValueError as error:
        raise _Invalid(duration_key, f"{duration_key}: {error}") from None
    abort = table.get("abort", False)
    if not isinstance(abort, bool):
        raise _Invalid("abort", f"abort must be true or false, got {abort!r}")
    warning, critical, hysteresis = (table.get(key) for key in NUMBER_KEYS)
    direction = table.get("direction", "above")
    return _checked(Rule(name, metric, endpoint, warning, critical, direction, sustained_for, abort, hysteresis))


def _checked(rule: Rule) -> Rule:
    """The rule with its numbers as floats; ``_Invalid`` for a direction, levels or hysteresis it cannot have."""
    if rule.direction not in DIRECTIONS:
        raise _Invalid("direction", f"direction must be 'above' or 'below', got {rule.direction!r}")
    for key in NUMBER_KEYS:
        value = getattr(rule, key)
        if value is not None and not (_is_number(value) and math.isfinite(value)):
            raise _Invalid(key, f"{key} must be a number, got {value!r}")
    if rule.warning is None and rule.critical is None:
        raise _Invalid(None, f"rule {rule.name!r} has neither warning nor critical")
    if rule.warning is not None and rule.critical is not None:
        if rule.direction == "above" and rule.warning > rule.critical:
            raise _Invalid("warning", f"warning {rule.warning:g} is above critical {rule.critical:g}")
        if rule.direction == "below" and rule.warning < rule.critical:
            message = f"warning {rule.warning:g} is below critical {rule.critical:g}"
            raise _Invalid("warning", f"{message} (a 'below' rule's critical level is the lower one)")
    if rule.hysteresis is not None and rule.hysteresis < 0:
        raise _Invalid("hysteresis", f"hysteresis must not be negative, got {rule.hysteresis:g}")
    if rule.abort and rule.critical is None:
        raise _Invalid("abort", f"abort = true needs a critical level (rule {rule.name!r} has none)")
    return replace(rule, **{key: float(getattr(rule, key)) for key in NUMBER_KEYS if getattr(rule, key) is not None})


def _unknown_metric_message(metric) -> str:
    guess = difflib.get_close_matches(str(metric), METRICS, n=1)
    hint = f" (did you mean {guess[0]!r}?)" if guess else ""
    return f"unknown metric {metric!r}{hint}; known metrics: {', '.join(METRICS)}"


def _is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_AT_END = re.compile(r"\s*\(at end of document\)$")


def _toml_error(error: tomllib.TOMLDecodeError, text: str, source: str) -> ThresholdsError:
    """tomllib says where only at the end of its message, "... (at line N, column M)": move it to the front."""
    message = str(error)
    if match := _TOML_POSITION.search(message):
        return ThresholdsError(f"invalid TOML: {message[: match.start()]} (column {match[2]})", source, int(match[1]))
    if match := _TOML_AT_END.search(message):
        last_line = max(1, len(text.splitlines()))
        return ThresholdsError(f"invalid TOML: {message[: match.start()]} at end of file", source, last_line)
    return ThresholdsError(f"invalid TOML: {message}", source)

"""Alerts: the state machine that turns rule levels and sampled values into alerts. No I/O.

Call ``evaluate`` on every sample with the current rules and their values (keyed by rule name,
None when there is no data); it returns the alerts that changed, for logging::

    book = AlertBook()
    for alert in book.evaluate(rules, {"target-cpu": 93.2}, now=time.time()):
        log(alert.message)            # "target_cpu_percent 93.2 above critical 90 for 5 s"
    book.acknowledge(alert_id, now)   # firing -> acknowledged
    book.first_abort(rules)           # an active critical alert of an abort = true rule, or None

Each rule has at most one active alert. A level fires once the value has stayed beyond it for
the rule's ``sustained_for`` (a value back inside restarts that level's timer). An alert then
moves only when the value clears a level by the rule's hysteresis margin: down from critical to
warning, or resolved once the value clears the lowest level, so a value flapping across a line
keeps one alert. Escalation to critical updates the same alert and makes an acknowledged alert
fire again. A resolved alert stays resolved: the next breach is a new alert with a new id. No
data (None) leaves alerts as they are and restarts the timers; the alert of a rule no longer
given is resolved.
"""

import math
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass

from monitors.rules import SEVERITIES, Rule

FIRING, ACKNOWLEDGED, RESOLVED = "firing", "acknowledged", "resolved"
MAX_RESOLVED = 1000
_RANK = {None: 0, "warning": 1, "critical": 2}


@dataclass
class Alert:
    id: int
    rule: str
    metric: str
    endpoint: str | None
    severity: str
    peak_severity: str
    value: float
    threshold: float
    message: str
    started: float
    state: str
    updated: float
    acknowledged_at: float | None = None
    resolved_at: float | None = None

    @property
    def active(self) -> bool:
        return self.state != RESOLVED

    def as_dict(self) -> dict:
        return asdict(self)


class AlertBook:
    """The alerts of a run: active ones by rule, and the latest ``max_resolved`` resolved ones."""

    def __init__(self, max_resolved: int = MAX_RESOLVED):
        self._next_id = 1
        self._active: dict[str, Alert] = {}
        self._resolved: deque[Alert] = deque(maxlen=max_resolved)
        self._since: dict[str, dict[str, float]] = {}  # rule name -> severity -> when the value went beyond it

    def evaluate(self, rules: Iterable[Rule], values: Mapping[str, float | None], now: float) -> list[Alert]:
        """Update the alerts with one sample of values; return those that opened, moved or resolved."""
        changed: list[Alert] = []
        given: set[str] = set()
        for rule in rules:
            if rule.name in given:
                continue
            given.add(rule.name)
            alert = self._update(rule, values.get(rule.name), now)
            if alert is not None:
                changed.append(alert)
        for name in [name for name in self._active if name not in given]:
            self._since.pop(name, None)
            alert = self._active[name]
            alert.message = f"{_subject(alert)}: rule removed"
            changed.append(self._resolve(alert, now))
        return changed

    def acknowledge(self, alert_id: int, now: float) -> Alert:
        """Mark an active alert as seen. KeyError for an unknown id, ValueError for a resolved alert."""
        alert = next((alert for alert in self.all() if alert.id == alert_id), None)
        if alert is None:
            raise KeyError(alert_id)
        if alert.state == RESOLVED:
            raise ValueError(f"alert {alert_id} is resolved")
        if alert.state == FIRING:
            alert.state, alert.acknowledged_at, alert.updated = ACKNOWLEDGED, now, now
        return alert

    def active(self) -> list[Alert]:
        """Firing and acknowledged alerts, newest first."""
        return sorted(self._active.values(), key=lambda alert: alert.id, reverse=True)

    def all(self) -> list[Alert]:
        """Every alert kept, active and resolved, newest first."""
        return sorted([*self._active.values(), *self._resolved], key=lambda alert: alert.id, reverse=True)

    def critical_held(self) -> list[Alert]:
        """Active alerts whose current severity is critical, newest first."""
        return [alert for alert in self.active() if alert.severity == "critical"]

    def first_abort(self, rules: Iterable[Rule]) -> Alert | None:
        """The oldest active critical alert of a rule with ``abort = true``, or None."""
        aborting = {rule.name for rule in rules if rule.abort}
        held = [alert for alert in self.critical_held() if alert.rule in aborting]
        return min(held, key=lambda alert: alert.id, default=None)

    # --- one rule --------------------------------------------------------------------------------

    def _update(self, rule: Rule, value: float | None, now: float) -> Alert | None:
        if value is None or math.isnan(value):
            self._since.pop(rule.name, None)
            return None
        due = self._sustained_severity(rule, value, now)
        alert = self._active.get(rule.name)
        if alert is None:
            return self._open(rule, due, value, now) if due else None
        alert.value, alert.updated = value, now
        if _RANK[due] > _RANK[alert.severity]:
            self._move(alert, rule, due)
            if alert.state == ACKNOWLEDGED:
                alert.state, alert.acknowledged_at = FIRING, None
            return alert
        held = _held_severity(rule, alert.severity, value)
        if held is None:
            lowest = next(level for level in (rule.warning, rule.critical) if level is not None)
            back = "below" if rule.direction == "above" else "above"
            alert.message = f"{_subject(alert)} {_number(value)} back {back} {_number(lowest)}, resolved"
            return self._resolve(alert, now)
        if held != alert.severity:
            was = alert.severity
            self._move(alert, rule, held)
            alert.message = f"{_subject(alert)} {_number(value)} {rule.direction} {held} {_number(alert.threshold)}"
            alert.message += f", down from {was}"
            return alert
        alert.threshold = rule.level(held)  # the rule's levels may have changed
        return None

    def _sustained_severity(self, rule: Rule, value: float, now: float) -> str | None:
        """Restart or keep each level's timer; the highest level held beyond for ``sustained_for``."""
        since = self._since.setdefault(rule.name, {})
        due = None
        for severity in SEVERITIES:
            if not rule.beyond(severity, value):
                since.pop(severity, None)
            elif now - since.setdefault(severity, now) >= rule.sustained_for:
                due = severity
        return due

    def _open(self, rule: Rule, severity: str, value: float, now: float) -> Alert:
        alert = Alert(
            id=self._next_id,
            rule=rule.name,
            metric=rule.metric,
            endpoint=rule.endpoint,
            severity=severity,
            peak_severity=severity,
            value=value,
            threshold=rule.level(severity),
            message="",
            started=now,
            state=FIRING,
            updated=now,
        )
        alert.message = _breach_message(alert, rule)
        self._next_id += 1
        self._active[rule.name] = alert
        return alert

    def _move(self, alert: Alert, rule: Rule, severity: str) -> None:
        alert.severity, alert.threshold = severity, rule.level(severity)
        if _RANK[severity] > _RANK[alert.peak_severity]:
            alert.peak_severity = severity
        alert.message = _breach_message(alert, rule)

    def _resolve(self, alert: Alert, now: float) -> Alert:
        del self._active[alert.rule]
        alert.state, alert.resolved_at, alert.updated = RESOLVED, now, now
        self._resolved.append(alert)
        return alert


def _held_severity(rule: Rule, severity: str, value: float) -> str | None:
    """The severity an alert keeps: its own, or a lower one whose level the value has not cleared."""
    for lower in reversed(SEVERITIES[: SEVERITIES.index(severity) + 1]):
        if rule.level(lower) is not None and not rule.clears(lower, value):
            return lower
    return None


def _breach_message(alert: Alert, rule: Rule) -> str:
    sustained = f" for {_number(rule.sustained_for)} s" if rule.sustained_for else ""
    return (
        f"{_subject(alert)} {_number(alert.value)} {rule.direction} {alert.severity} "
        f"{_number(alert.threshold)}{sustained}"
    )


def _subject(alert: Alert) -> str:
    return alert.metric if alert.endpoint is None else f"{alert.metric} ({alert.endpoint})"


def _number(value: float) -> str:
    """93.2 -> "93.2", 90.0 -> "90", 1.23456 -> "1.23", 0.00123 -> "0.0012": short, for messages."""
    text = f"{value:.2f}" if abs(value) >= 1 or value == 0 else f"{value:.2g}"
    return text.rstrip("0").rstrip(".") if "." in text and "e" not in text else text

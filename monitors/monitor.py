"""The monitor of one Locust process: snapshots, history, rules, alerts and their runtime control.

``monitors.register`` creates one per environment and drives it from a greenlet; the web UI
routes and the verdict read it. Its parts are plain objects, so it is tested without Locust's
event loop::

    monitor = Monitor(settings, rules)
    monitor.start_test(now)                       # fresh figures, history and alerts
    snapshot = monitor.snapshot(now, stats, users=10, state="running", generators={...}, target=..., system=...,
                                server=...)
    changed = monitor.evaluate(snapshot, running=True)   # alerts that changed, for the log
    monitor.acknowledge(3)                        # from the web UI or the JSON route
    monitor.change_rule("avg-response", critical=250)

Rules are evaluated only while users run, except on counts that only grow (lost writes, lost
pushes), which the write audit completes after the users stop.
"""

import threading
import time
from dataclasses import asdict

from monitors.alerts import AlertBook
from monitors.figures import LocustFigures
from monitors.history import History
from monitors.options import MonitorSettings
from monitors.rules import Rule
from monitors.saturation import SaturationWatch
from monitors.snapshot import generator_totals, metric_value

GROWING_METRICS = frozenset({"lost_writes", "lost_pushes"})  # completed after the users stop


class Monitor:
    def __init__(self, settings: MonitorSettings, rules: list[Rule]):
        self.settings = settings
        self.rules: dict[str, Rule] = {rule.name: rule for rule in rules}
        # Web UI requests run in their own greenlets; a lock keeps a rule change and an
        # evaluation from interleaving (gevent patches threading).
        self._lock = threading.Lock()
        self.start_test(time.time())

    def start_test(self, now: float) -> None:
        self.test_started = now
        self.figures = LocustFigures()
        self.history = History(self.settings.retention_snapshots, self.settings.retention_seconds)
        self.alerts = AlertBook()
        self.saturation = SaturationWatch()
        self.saturation_message: str | None = None
        self.measured: set[str] = set()  # rules that had a value at least once
        self.aborted: str | None = None  # the message of the alert that stopped the run
        self.aborted_by: str | None = None  # its rule
        self.lost_workers: list[str] = []  # workers Locust marked missing (no heartbeat) during the run

    # -- sampling -------------------------------------------------------------------------
    def snapshot(
        self,
        now: float,
        stats,
        users: int,
        state: str,
        generators: dict[str, dict],
        target: dict | None,
        system: dict,
        server: dict | None,
        push: dict | None = None,
    ) -> dict:
        saturation_message = self.saturation.observe(
            {
                name: (g.get("process") or {}).get("cpu_percent")
                for name, g in generators.items()
                if not g.get("missing")
            },
            now,
        )
        snapshot = {
            "time": now,
            "elapsed": round(now - self.test_started, 3),
            "state": state,
            "users": users,
            "generators": generators,
            "generators_total": generator_totals(generators),
            "target": target,
            "system": system,
            "locust": self.figures.read(stats, now),
            "server": server,
            "push": push,
            "generator_bound": self.saturation.bound,
        }
        self.history.add(snapshot)
        self.saturation_message = saturation_message
        return snapshot

    # -- rules and alerts -----------------------------------------------------------------
    def evaluate(self, snapshot: dict, running: bool) -> list:
        with self._lock:
            rules = list(self.rules.values())
            # A value of None leaves a rule's alert as it is: how rules not evaluated now keep their state.
            values = {
                rule.name: metric_value(snapshot, rule.metric, rule.endpoint)
                if running or rule.metric in GROWING_METRICS
                else None
                for rule in rules
            }
            self.measured.update(name for name, value in values.items() if value is not None)
            changed = self.alerts.evaluate(rules, values, snapshot["time"])
            if running and self.aborted is None:
                alert = self.alerts.first_abort(self.rules.values())
                if alert is None and self.settings.abort_on_critical and self.alerts.critical_held():
                    alert = self.alerts.critical_held()[0]
                if alert is not None:
                    self.aborted, self.aborted_by = alert.message, alert.rule
            return changed

    def acknowledge(self, alert_id: int):
        with self._lock:
            return self.alerts.acknowledge(alert_id, time.time())

    def change_rule(self, name: str, **levels) -> Rule:
        """Set a rule's warning and/or critical level while the test runs (KeyError: no such rule)."""
        with self._lock:
            rule = self.rules[name].with_levels(**levels)
            self.rules[name] = rule
            return rule

    # -- views ----------------------------------------------------------------------------
    def rule_values(self, snapshot: dict) -> dict[str, float | None]:
        return {name: metric_value(snapshot, rule.metric, rule.endpoint) for name, rule in self.rules.items()}

    def status(self) -> dict:
        """What the web UI and the JSON route show: the latest snapshot, rules, alerts, verdict so far."""
        return {
            "snapshot": self.history.latest,
            "rules": [rule_dict(rule) for rule in self.rules.values()],
            "alerts": [alert.as_dict() for alert in self.alerts.all()],
            "critical_held": [alert.id for alert in self.alerts.critical_held()],
            "aborted": self.aborted,
            "generator_bound": self.saturation.bound,
            "saturation": self.saturation.describe(),
        }


def rule_dict(rule: Rule) -> dict:
    return {key: value for key, value in asdict(rule).items() if key not in ("line", "source")}

"""The run's verdict: exit code 3 for a critical threshold, the JUnit file, the closing log line.

At ``quitting`` (``monitors.register`` arranges it to run after the write audit)::

    code = exit_code(monitor)              # 3 or None (None: Locust decides 0 or 1 itself)
    write_junit(path, monitor, snapshot)   # --junit FILE, written atomically
    closing_line(monitor)                  # "Monitor verdict: 2 alerts, 1 critical held at the end: ..."

Exit codes of a run: 0 pass; 1 request failures (Locust's own rule); 2 bad configuration;
3 a critical alert was still active when the test ended, or one aborted the run; 5 an output could not
be written (``ctxload.output_failures``).
"""

from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from common.output_files import output_file
from monitors.snapshot import metric_value

EXIT_CRITICAL = 3
SUITE = "ctxload"


def exit_code(monitor) -> int | None:
    return EXIT_CRITICAL if monitor.aborted or monitor.alerts.critical_held() else None


def _by_rule(alerts) -> dict[str, list]:
    grouped: dict[str, list] = {}
    for alert in alerts:
        grouped.setdefault(alert.rule, []).append(alert)
    return grouped


def _rule_case(monitor, rule, held: list, alerts: list) -> TestCase:
    case = TestCase(rule.name, classname=f"{SUITE}.thresholds")
    if held:
        case.result = [Failure(held[0].message, "critical threshold held at the end")]
    elif monitor.aborted_by == rule.name:
        case.result = [Failure(monitor.aborted, "aborted the run")]
    elif rule.name not in monitor.measured:
        case.result = [Skipped(f"no data for {rule.metric}" + (f" on {rule.endpoint}" if rule.endpoint else ""))]
    if alerts:
        case.system_out = "\n".join(f"alert {a.id} {a.peak_severity} ({a.state}): {a.message}" for a in alerts)
    return case


def _count_case(name: str, lost: int | None, what: str) -> TestCase:
    case = TestCase(name, classname=f"{SUITE}.verification")
    if lost is None:
        case.result = [Skipped(f"nothing to verify: no {what} in this run")]
    elif lost:
        case.result = [Failure(f"{lost} {what} lost", f"{name}")]
    return case


def junit_document(monitor, snapshot: dict) -> JUnitXml:
    duration = snapshot["elapsed"] if snapshot else 0.0
    suite = TestSuite(SUITE)
    # Alerts grouped once and cases added at once: junitparser's add_testcase recounts the whole suite each
    # time, which made 10,000 rules take minutes.
    held, alerts = _by_rule(monitor.alerts.critical_held()), _by_rule(monitor.alerts.all())
    cases = [
        _rule_case(monitor, rule, held.get(rule.name, []), alerts.get(rule.name, [])) for rule in monitor.rules.values()
    ]
    lost_writes = metric_value(snapshot, "lost_writes") if snapshot else None
    lost_pushes = metric_value(snapshot, "lost_pushes") if snapshot else None
    cases.append(_count_case("lost writes", lost_writes, "audited writes"))
    cases.append(_count_case("lost pushes", lost_pushes, "expected pushes"))
    headroom = TestCase("generator headroom", classname=f"{SUITE}.generator")
    if monitor.saturation.bound:
        headroom.result = [Failure(monitor.saturation.describe(), "generator-bound")]
    cases.append(headroom)
    suite.add_testcases(cases)
    suite.add_property("generator_bound", str(monitor.saturation.bound).lower())
    suite.add_property("aborted", monitor.aborted or "")
    suite.add_property("exit_code_monitor", str(exit_code(monitor) or 0))
    document = JUnitXml()
    document.add_testsuite(suite)
    suite.time = duration  # after adding: junitparser sums the testcases' times there
    return document


def write_junit(path: str, monitor, snapshot: dict | None) -> None:
    xml = junit_document(monitor, snapshot).tostring()
    with output_file(path) as handle:
        handle.write(xml if isinstance(xml, bytes) else xml.encode())


def closing_line(monitor) -> str:
    """``Monitor verdict: PASS; 4 alerts (4 warning, 0 critical), 1 still active`` or ``FAIL (exit 3): ...``."""
    alerts = monitor.alerts.all()
    held = monitor.alerts.critical_held()
    critical = sum(1 for alert in alerts if alert.peak_severity == "critical")
    line = "Monitor verdict: " + (f"FAIL (exit {EXIT_CRITICAL})" if exit_code(monitor) else "PASS")
    if alerts:
        line += f"; {len(alerts)} alerts ({len(alerts) - critical} warning, {critical} critical)"
        line += f", {len(monitor.alerts.active())} still active"
    else:
        line += "; no threshold crossed"
    if monitor.aborted:
        line += f"; the run was ABORTED by {monitor.aborted_by}: {monitor.aborted}"
    if held:
        line += "; critical at the end: " + "; ".join(alert.message for alert in held)
    if monitor.lost_workers:
        line += (
            f"; {len(monitor.lost_workers)} worker(s) went missing during the run "
            f"({', '.join(monitor.lost_workers)}): their figures stop when they did"
        )
    if monitor.saturation.bound:
        line += f"; {monitor.saturation.describe()} (its latencies are not only the target's)"
    return line

"""The hostile probe's one-line summary, read from Locust's own statistics when Locust quits.

Register from the locustfile (an ``init`` listener; registering twice logs once)::

    events.init.add_listener(HostileReport.register)

The master (or the local process) reads its ``HOSTILE`` rows: in distributed runs they hold the
workers' figures already, failure messages included, so no message of its own is needed. It logs,
after Locust's tables::

    Hostile probe: 22 cases run 3 times; 0 violations
    Hostile probe: 22 cases run 3 times; 2 violations: top-level array (3 of 3 runs: HTTP 500),
    numeric key (3 of 3 runs: accepted with 200; GET /ctx/all 500 afterwards); the server was
    unhealthy before 2 of 3 rounds (GET /ctx/all 500)

(the second on one line).
A violation is a case that failed at least once; its reasons are the distinct parts of its failure
messages. Nothing is logged when the probe did not run.
"""

import ast
import logging

from locust.exception import CatchResponseError

from common.run import Run
from hostile.cases import BASELINE, CASE_NAMES, REASON_SEPARATOR, REQUEST_TYPE

logger = logging.getLogger(__name__)

CATCH_PREFIX = f"{CatchResponseError.__name__}("


def failure_message(error) -> str:
    """The message of a stats error: an exception locally, its repr as a string on a master."""
    if isinstance(error, CatchResponseError):
        return str(error.args[0]) if error.args else ""
    if isinstance(error, str) and error.startswith(CATCH_PREFIX) and error.endswith(")"):
        try:
            return str(ast.literal_eval(error[len(CATCH_PREFIX) : -1]))
        except (ValueError, SyntaxError):
            return error
    return error if isinstance(error, str) else repr(error)


def reasons_by_row(stats) -> dict[str, list[str]]:
    """For each ``HOSTILE`` row, the distinct parts of its failure messages, in order of first sight."""
    reasons: dict[str, list[str]] = {}
    for error in stats.errors.values():
        if error.method != REQUEST_TYPE:
            continue
        parts = reasons.setdefault(error.name, [])
        for part in failure_message(error.error).split(REASON_SEPARATOR):
            if part and part not in parts:
                parts.append(part)
    return reasons


def _times(low: int, high: int) -> str:
    if low == high:
        return "1 time" if low == 1 else f"{low} times"
    return f"{low}-{high} times"


def summary_line(stats) -> str | None:
    rows = {name: entry for (name, method), entry in stats.entries.items() if method == REQUEST_TYPE}
    cases = {name: rows[name] for name in CASE_NAMES if name in rows}
    if not rows:
        return None
    reasons = reasons_by_row(stats)
    runs = [entry.num_requests for entry in cases.values()] or [0]
    counted = f"{len(cases)} cases" if len(cases) == len(CASE_NAMES) else f"{len(cases)} of {len(CASE_NAMES)} cases"
    line = f"Hostile probe: {counted} run {_times(min(runs), max(runs))}; "
    violated = [name for name, entry in cases.items() if entry.num_failures]
    if violated:
        described = [
            f"{name} ({cases[name].num_failures} of {cases[name].num_requests} runs: "
            f"{REASON_SEPARATOR.join(reasons.get(name, []))})"
            for name in violated
        ]
        line += f"{len(violated)} violation{'s' if len(violated) != 1 else ''}: {', '.join(described)}"
    else:
        line += "0 violations"
    baseline = rows.get(BASELINE)
    if baseline is not None and baseline.num_failures:
        line += (
            f"; the server was unhealthy before {baseline.num_failures} of {baseline.num_requests} rounds "
            f"({REASON_SEPARATOR.join(reasons.get(BASELINE, []))})"
        )
    return line


class HostileReport:
    """Logs the probe's summary once when Locust quits, on the master or local process."""

    def __init__(self, environment):
        self.environment = environment

    @classmethod
    def register(cls, environment, **_kwargs) -> None:
        """An ``init`` listener (registering twice logs once)."""
        run = Run.of(environment)
        if run.is_worker or run.find(cls) is not None:
            return
        environment.events.quit.add_listener(run.put(cls(environment)).on_quit)

    def on_quit(self, **_kwargs) -> None:
        runner = self.environment.runner
        line = summary_line(runner.stats if runner else self.environment.stats)
        if line:
            logger.info(line)

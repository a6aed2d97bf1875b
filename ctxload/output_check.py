"""Every output of a run checked while Locust parses its options: before it opens its ``--csv`` files, before traffic.

Register from the locustfile::

    events.init_command_line_parser.add_listener(output_check.install)

Once Locust has parsed its options (and ours), the outputs they name are checked together
(``common.output_files.check_outputs``): Locust's ``--csv PREFIX`` files, its ``--html`` report, ctxload's
``PREFIX_push_stats*.csv`` and ``PREFIX_paced.csv``, ``--junit``, the ``--monitor-export`` files and
``--report``'s. The same path for two of them, a path that is a directory, a folder that can't be made or
written to: one line naming the option and the path, exit code 2. Missing folders are made, for every output
alike. A ``--run-time`` of 0 (which Locust would take as no limit) is refused the same way.

Locust reads the locustfile only after ``--help``, and opens its CSV files before it fires ``init``: checks that
need several options at once can only run at the end of the parse, so the parser's ``parse_known_args`` is
wrapped (that of the one parser Locust hands to ``init_command_line_parser``).
"""

import os

from common.output_files import check_outputs

LOCUST_CSV = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv")
CTXLOAD_CSV = ("_push_stats.csv", "_push_stats_history.csv", "_paced.csv")
EXPORT = ("_monitor.json", "_monitor.csv", "_alerts.csv")
REPORT = ("report.html", "report.md")


def outputs(options) -> dict[str, list[str]]:
    """{option: [paths]} of every file the run will write."""
    found: dict[str, list[str]] = {}
    prefix = getattr(options, "csv_prefix", None)
    if prefix:
        found["--csv"] = [f"{prefix}{suffix}" for suffix in LOCUST_CSV + CTXLOAD_CSV]
    html = getattr(options, "html_file", None)
    if html and "{" not in html:  # Locust fills in {u}, {r}, {t} later: those are checked when written
        found["--html"] = [html]
    if getattr(options, "junit", None):
        found["--junit"] = [options.junit]
    export = getattr(options, "monitor_export", None)
    if export:
        found["--monitor-export"] = [f"{export}{suffix}" for suffix in EXPORT]
    report = getattr(options, "report", None)
    if report:
        found["--report"] = [os.path.join(report, name) for name in REPORT]
    return found


def problem(options) -> str | None:
    run_time = getattr(options, "run_time", None)
    if run_time is not None and not isinstance(run_time, str) and run_time <= 0:
        return f"argument -t/--run-time: a run of {run_time} s has no time; leave it out to run until stopped"
    if getattr(options, "worker", False):
        return None  # a worker writes none of these: its master does
    return check_outputs(outputs(options))


def install(parser, **_kwargs) -> None:
    """An ``init_command_line_parser`` listener: check the parsed options' outputs on every parse."""
    parse_known_args = parser.parse_known_args

    def checked(*args, **kwargs):
        namespace, rest = parse_known_args(*args, **kwargs)
        if not getattr(namespace, "help", False):
            found = problem(namespace)
            if found:
                parser.error(found)
        return namespace, rest

    parser.parse_known_args = checked

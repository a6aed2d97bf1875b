"""The run's files as ``reports`` reads them, at the end of a run: Locust's last figures written, ``reports`` found.

Usage::

    reports_importable()                     # before importing reports (only when needed: pandas, matplotlib)
    stale = final_csv(environment, prefix)   # None, or a warning line for the report
    locust_csv_writers()                     # Locust's --csv writers (no public way to them)
"""

import csv
import gc
import sys
from pathlib import Path

from locust.stats import StatsCSVFileWriter

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def final_csv(environment, prefix: str) -> str | None:
    """Locust's stats, failures and exceptions files as they are now, and its history flushed: Locust's writer
    rewrites them once a second, and the last second would be missing. Locust has no public call for one
    more write, so its writer's own row methods are used; without a writer (none found) nothing is done.

    Locust's ``--json-file`` clears the per-endpoint figures before ``quit`` (it serialises them with the
    call that resets a worker's figures): then the files are left as Locust last wrote them, and a warning
    says so."""
    stats = environment.stats
    if sum(entry.num_requests for entry in stats.entries.values()) != stats.total.num_requests:
        return ("Locust's --json-file cleared the per-endpoint figures before the report was made: "
                "the endpoints' rows are as Locust last wrote them, up to a second before the end")  # fmt: skip
    for writer in locust_csv_writers():
        if writer.base_filepath != prefix or writer.requests_csv_filehandle.closed:
            continue
        writer.stats_history_flush()
        for handle, columns, rows in (
            (writer.requests_csv_filehandle, writer.requests_csv_columns, writer._requests_data_rows),
            (writer.failures_csv_filehandle, writer.failures_columns, writer._failures_data_rows),
            (writer.exceptions_csv_filehandle, writer.exceptions_columns, writer._exceptions_data_rows),
        ):
            handle.seek(0)
            rewriter = csv.writer(handle)
            rewriter.writerow(columns)
            rows(rewriter)
            handle.truncate()
            handle.flush()


def locust_csv_writers() -> list[StatsCSVFileWriter]:
    """Locust's ``--csv`` writers: Locust keeps its writer in a local variable of its ``main()``, and the garbage
    collector's list of objects is the one way to it."""
    return [obj for obj in gc.get_objects() if isinstance(obj, StatsCSVFileWriter)]


def reports_importable() -> None:
    """Locust takes the locustfile's folder off sys.path once it has loaded it: the project's root is put back, for
    ``reports``, imported only when needed (pandas and matplotlib cost every run and worker ~1 s and ~60 MB)."""
    if str(PROJECT_ROOT) not in sys.path:
        sys.path.append(str(PROJECT_ROOT))

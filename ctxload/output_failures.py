"""Locust glue: a run whose results could not all be written ends with exit code 5, not 0 or 2.

Register it first in the locustfile (Locust fires ``quitting`` in reverse, so it then runs after every
part has written its outputs)::

    events.init.add_listener(output_failures.register)

Our parts note their own failures (``common.output_failures.OutputFailures.note``). Locust's CSV writer is
not ours: when it dies of an ``OSError`` (``No space left on device``) Locust logs the exception and would
exit 2, the code for bad input; a logging handler notes it instead. What fails later than ``quitting``
(Locust closing its CSV files) cannot change the code any more: it is only logged.
"""

import contextlib
import errno
import io
import logging

from common.output_failures import EXIT_OUTPUT_FAILED, OutputFailures
from ctxload.run_files import locust_csv_writers
from monitors.verdict import EXIT_CRITICAL

# What a write meets when the disk or the file system fails it (not a bug in the code that wrote).
WRITE_ERRORS = {errno.ENOSPC, errno.EDQUOT, errno.EIO, errno.EROFS, errno.EFBIG, errno.ENOENT, errno.EACCES}


class _LocustWriteErrors(logging.Handler):
    """Notes the OSErrors in Locust's "Unhandled exception in greenlet" records (its CSV writer's)."""

    def __init__(self, environment):
        super().__init__(logging.ERROR)
        self.environment = environment
        self.csv_failed = False

    def emit(self, record: logging.LogRecord) -> None:
        error = record.exc_info[1] if record.exc_info else None
        if not isinstance(error, OSError) or error.errno not in WRITE_ERRORS:
            return
        prefix = getattr(self.environment.parsed_options, "csv_prefix", None)
        where = f"--csv {prefix}" if "StatsCSVFileWriter" in record.getMessage() else error.filename or "an output"
        OutputFailures.of(self.environment).lines.append(f"{where}: not written: {error.strerror or error}")
        self.csv_failed = self.csv_failed or where.startswith("--csv")

    def close_failed_files(self) -> None:
        """Close the failed CSV writer's files now, quietly: Locust closes them after the exit code is decided,
        and a close that flushes into a full disk would end the run with a traceback and exit 1. Locust keeps
        its writer where only ``ctxload.run_files.locust_csv_writers`` finds it."""
        if not self.csv_failed:
            return
        for writer in locust_csv_writers():
            for handle in list(vars(writer).values()):
                if isinstance(handle, io.IOBase):
                    with contextlib.suppress(OSError):
                        handle.close()


def register(environment, **_kwargs) -> None:
    handler = _LocustWriteErrors(environment)
    logging.getLogger("locust").addHandler(handler)

    def on_quitting(environment, **_kwargs) -> None:
        failures = OutputFailures.of(environment)
        if failures.lines and environment.process_exit_code != EXIT_CRITICAL:
            logging.getLogger(__name__).error(
                "ctxload: %d output(s) not written, exit code %d: %s",
                len(failures.lines), EXIT_OUTPUT_FAILED, "; ".join(failures.lines[:3]),
            )  # fmt: skip
            environment.process_exit_code = EXIT_OUTPUT_FAILED
        handler.close_failed_files()

    def on_quit(**_kwargs) -> None:
        logging.getLogger("locust").removeHandler(handler)

    environment.events.quitting.add_listener(on_quitting)
    environment.events.quit.add_listener(on_quit)

"""The outputs a run could not write (a full disk, a folder gone), and the exit code they give: 5.

A part that writes an output catches the error and notes it, rather than letting it pass as an ERROR line
with exit 0 (results lost) or as a traceback with exit 2 (which means bad input)::

    try:
        write_junit(path, ...)
    except OSError as exc:
        OutputFailures.note(environment, "--junit", path, exc)    # logs one ERROR line

``ctxload.output_failures`` registers the rest: it notes Locust's own CSV writer failing too, and at
``quitting`` sets exit code 5 unless a critical threshold (3) already decided the run.
"""

import logging
from dataclasses import dataclass, field

from common.run import Run

EXIT_OUTPUT_FAILED = 5
logger = logging.getLogger(__name__)


@dataclass
class OutputFailures:
    lines: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, environment) -> "OutputFailures":
        return Run.of(environment).get(cls)

    @classmethod
    def note(cls, environment, option: str, path, exc: BaseException) -> None:
        line = f"{option} {path}: not written: {getattr(exc, 'strerror', None) or exc}"
        cls.of(environment).lines.append(line)
        logger.error("ctxload: %s (exit code %s)", line, EXIT_OUTPUT_FAILED)

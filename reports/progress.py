"""Progress on a terminal for the steps of a report that take more than a couple of seconds.

Usage::

    progress = Progress()               # writes to stderr, only when it is a terminal
    progress("loading history", 0.4)    # shown (on one rewritten line) once 2 s have passed
    progress.done()

Not a terminal (CI logs, tests): silent.
"""

import sys
import time

SHOW_AFTER_SECONDS = 2.0


class Progress:
    def __init__(self, stream=None, show_after: float = SHOW_AFTER_SECONDS):
        self.stream = stream or sys.stderr
        self.started = time.monotonic()
        self.show_after = show_after
        self.enabled = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._shown = False

    def __call__(self, step: str, fraction: float | None = None) -> None:
        if not self.enabled or time.monotonic() - self.started < self.show_after:
            return
        share = "" if fraction is None else f" {min(max(fraction, 0.0), 1.0):4.0%}"
        self.stream.write(f"\r{step}{share} ({time.monotonic() - self.started:.0f} s)\x1b[K")
        self.stream.flush()
        self._shown = True

    def done(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()
            self._shown = False

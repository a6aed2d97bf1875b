"""Command-line parsing shared by the benchmarks: a bad option is one line on stderr and exit 2.

Usage::

    parser = OneLineParser(prog="python -m benchmarks ws-sessions", description=__doc__)
    parser.add_argument("--sessions", type=number_list(int, minimum=1, allow_empty=True), default="1000,5000")
    parser.add_argument("--idle", type=positive(float), default=20.0)
"""

import argparse


class OneLineParser(argparse.ArgumentParser):
    """argparse, but an error is one line (no usage block) and exit code 2."""

    def __init__(self, **kwargs):
        kwargs.setdefault("formatter_class", argparse.RawDescriptionHelpFormatter)
        super().__init__(**kwargs)

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message}\n")


def positive(kind=float, minimum: float = 0.0, maximum: float | None = None, inclusive: bool = False):
    """A number above ``minimum`` (or from it, with ``inclusive``), at most ``maximum`` if given."""

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected a {kind.__name__}, got {text!r}") from None
        low_ok = value >= minimum if inclusive else value > minimum
        if not low_ok or (maximum is not None and value > maximum) or value != value:
            bound = f"{'at least' if inclusive else 'above'} {minimum:g}"
            if maximum is not None:
                bound += f" and at most {maximum:g}"
            raise argparse.ArgumentTypeError(f"expected a number {bound}, got {text!r}")
        return value

    return parse


def number_list(kind=int, minimum: float = 1, allow_empty: bool = False):
    """Comma-separated numbers, each at least ``minimum``; ``""`` is an empty list when allowed."""

    def parse(text: str) -> list:
        if not text.strip():
            if allow_empty:
                return []
            raise argparse.ArgumentTypeError("expected comma-separated numbers, got nothing")
        try:
            values = [kind(part) for part in text.split(",")]
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected comma-separated numbers, got {text!r}") from None
        if any(not value >= minimum for value in values):
            raise argparse.ArgumentTypeError(f"every number must be at least {minimum:g}, got {text!r}")
        return values

    return parse

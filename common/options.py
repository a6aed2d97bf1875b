"""Declare a part's Locust options once: one dataclass field gives the option's flag, type, default,
help, environment variable, web UI field and documentation row.

    @dataclass(frozen=True)
    class WriterSettings(Options):
        title: ClassVar[str] = "writers"
        payload_bytes: int = option(256, whole_number(16, 1_000_000), "size of each written value, in bytes")

    events.init_command_line_parser.add_listener(WriterSettings.add_arguments)
    settings = WriterSettings.from_options(environment.parsed_options)   # ValueError naming a bad one

``--payload-bytes`` is then on Locust's command line, in ``locust.conf`` (``payload-bytes = 512``),
in the web UI's form, and in the environment as ``LOCUST_PAYLOAD_BYTES``: Locust's own convention
for custom arguments (its parser's ``env_var=``). A bad value from any of them ends Locust before
any traffic with one line, exit code 2; one from the environment names the variable::

    locust: error: argument --payload-bytes: expected a whole number from 16 to 1000000, got 'x'
    (from the environment variable LOCUST_PAYLOAD_BYTES)                  (one line)

The value types below raise ``argparse.ArgumentTypeError`` with that ``expected ..., got ...`` text.
"""

import argparse
import logging
import math
import os
import sys
from dataclasses import MISSING, dataclass, field, fields
from typing import Any, ClassVar

from common.durations import EXAMPLES, parse_duration

logger = logging.getLogger(__name__)

_SPEC = "ctxload_option"  # the key of a field's metadata that makes it an option


@dataclass(frozen=True)
class OptionSpec:
    """Everything about one option, read from its field."""

    name: str  # the dest, e.g. "payload_bytes"
    default: Any
    parse: Any  # str -> value, raising argparse.ArgumentTypeError
    help: str
    switch: bool = False  # a flag without a value (store_true)
    action: Any = None  # an argparse.Action class, for checks across options at parse time
    choices: tuple | None = None

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def env_var(self) -> str:
        return "LOCUST_" + self.name.upper()

    def help_text(self) -> str:
        return self.help if self.switch or self.default is None else f"{self.help} (default {self.default})"


def option(default, parse, help: str, *, action=None, choices=None):
    """A dataclass field that is also a Locust option (see the module's docstring)."""
    return field(
        default=default, metadata={_SPEC: {"parse": parse, "help": help, "action": action, "choices": choices}}
    )


def switch(help: str):
    """A true/false option given as a bare flag (``--abort-on-critical``); false by default."""
    return field(default=False, metadata={_SPEC: {"parse": truth, "help": help, "switch": True}})


class Options:
    """Base of a frozen dataclass whose fields are declared with ``option`` or ``switch``."""

    title: ClassVar[str] = "options"

    @classmethod
    def specs(cls) -> list[OptionSpec]:
        specs = []
        for item in fields(cls):
            declared = item.metadata.get(_SPEC)
            if declared is not None:
                default = None if item.default is MISSING else item.default
                specs.append(OptionSpec(name=item.name, default=default, **declared))
        return specs

    def check(self) -> None:
        """Checks across options, after each one is valid alone: raise ``ValueError`` (override)."""

    @classmethod
    def from_options(cls, parsed_options):
        """Read and re-validate every option (values from the web UI's form are strings); the
        defaults without parsed options. Raises ``ValueError`` naming the bad option."""
        if parsed_options is None:
            return cls()
        values = {}
        for spec in cls.specs():
            raw = getattr(parsed_options, spec.name, spec.default)
            try:
                values[spec.name] = raw if raw is spec.default else spec.parse(raw)
            except argparse.ArgumentTypeError as exc:
                raise ValueError(f"{spec.flag}: {exc}") from None
        settings = cls(**values)
        settings.check()
        return settings

    @classmethod
    def add_arguments(cls, parser, **_kwargs) -> None:
        """An ``init_command_line_parser`` listener: add these options to Locust's parser."""
        for spec in cls.specs():
            kwargs = {"help": spec.help_text(), "env_var": spec.env_var, "default": spec.default}
            if spec.switch:
                kwargs["action"] = "store_true"
            else:
                kwargs["type"] = _naming_the_variable(spec)
                if spec.action is not None:
                    kwargs["action"] = spec.action
                if spec.choices:
                    kwargs["choices"] = spec.choices
            # On the parser itself, not a group: only its add_argument marks options for the web UI.
            parser.add_argument(spec.flag, **kwargs)

    @classmethod
    def check_on_init(cls, environment, **_kwargs) -> None:
        """An ``init`` listener for what one option's type cannot check (options that conflict): exit 2."""
        try:
            cls.from_options(environment.parsed_options)
        except ValueError as exc:
            sys.stderr.write(f"locust: error: {exc}\n")
            sys.exit(2)

    @classmethod
    def check_on_test_start(cls, environment, **_kwargs) -> None:
        """A ``test_start`` listener: stop a test whose options were made invalid in the web UI's form."""
        try:
            cls.from_options(environment.parsed_options)
        except ValueError as exc:
            logger.error("ctxload: %s; stopping the test", exc)
            if environment.runner is not None:
                environment.runner.greenlet.spawn(environment.runner.stop)


def _naming_the_variable(spec: OptionSpec):
    """The option's type, whose error names ``LOCUST_<NAME>`` when the bad value came from there.

    Locust's parser (configargparse) turns a variable into command-line text before argparse reads
    it, so argparse's own message would name only the option.
    """

    def parse(text):
        try:
            return spec.parse(text)
        except argparse.ArgumentTypeError as exc:
            if os.environ.get(spec.env_var) == text and not _on_command_line(spec.flag):
                raise argparse.ArgumentTypeError(f"{exc} (from the environment variable {spec.env_var})") from None
            raise

    parse.__name__ = getattr(spec.parse, "__name__", "value")
    return parse


def _on_command_line(flag: str) -> bool:
    return any(arg == flag or arg.startswith(flag + "=") for arg in sys.argv[1:])


# -- value types -----------------------------------------------------------------------------------


def _named(name: str):
    def mark(parse):
        parse.__name__ = name
        return parse

    return mark


def whole_number(low: int, high: int):
    @_named("whole number")
    def parse(text) -> int:
        try:
            value = int(str(text).strip())
        except ValueError:
            value = None
        if value is None or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high}, got {text!r}")
        return value

    return parse


def number(low: float, high: float, what: str = "a number"):
    @_named("number")
    def parse(text) -> float:
        try:
            value = float(str(text).strip())
        except ValueError:
            value = math.nan
        if not (math.isfinite(value) and low <= value <= high):
            raise argparse.ArgumentTypeError(f"expected {what} from {low:g} to {high:g}, got {text!r}")
        return value

    return parse


fraction = number(0.0, 1.0, "a fraction")


def duration(low: float = 0.0, high: float = math.inf, off_below: float | None = None):
    """A duration in ctxload's one syntax (``common.durations``) from ``low`` to ``high`` seconds.

    ``off_below``: 0 means off, and anything else must be at least this.
    """

    @_named("duration")
    def parse(text) -> float:
        try:
            value = parse_duration(text)
        except ValueError as exc:
            wanted = "a duration of 0 or more" if "negative" in str(exc) else f"a duration ({EXAMPLES})"
            raise argparse.ArgumentTypeError(f"expected {wanted}, got {text!r}") from None
        if off_below is not None and 0 < value < off_below:
            raise argparse.ArgumentTypeError(f"expected 0 (off) or at least {off_below:g} seconds, got {text!r}")
        if value < low or value > high:
            if high == math.inf:
                bound = f"a duration above {low:g}" if low == 0 else f"at least {low:g} seconds"
            elif low == 0:
                bound = f"at most {high:g} seconds"
            else:
                bound = f"seconds from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"expected {bound}, got {text!r}")
        return value

    return parse


def positive_duration(text) -> float:
    """A duration above 0."""
    value = duration()(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"expected a duration above 0, got {text!r}")
    return value


def one_of(*choices: str):
    @_named("choice")
    def parse(text) -> str:
        value = str(text).strip().lower()
        if value not in choices:
            raise argparse.ArgumentTypeError(f"expected one of {', '.join(choices)}, got {text!r}")
        return value

    return parse


@_named("path")
def path_or_none(text) -> str | None:
    value = "" if text is None else str(text).strip()
    return value or None


@_named("true or false")
def truth(value) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("", "0", "false", "no", "off"):
        return False
    raise argparse.ArgumentTypeError(f"expected true or false, got {value!r}")

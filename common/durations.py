"""One syntax for every duration ctxload reads: options, the thresholds file, the web UI's form.

    parse_duration("500ms")   # 0.5
    parse_duration("2s")      # 2.0
    parse_duration("1h30m")   # 5400.0
    parse_duration("1.5")     # 1.5: a plain number is seconds
    parse_duration(10)        # 10.0

Units ``ms``, ``s``, ``m``, ``h``, largest first, each at most once (``1h30m10s``, ``2m500ms``).
Locust's own ``parse_timespan`` takes whole numbers of ``h``, ``m``, ``s`` only (no ``500ms``, no
``1.5``), so this is written here. A negative, infinite or malformed duration is a ``ValueError``.
"""

import math
import re

_UNITS = (("h", 3600.0), ("m", 60.0), ("s", 1.0), ("ms", 0.001))
_NUMBER = r"(?:\d+(?:\.\d*)?|\.\d+)"
_SPAN = re.compile(r"(?P<sign>-?)" + "".join(rf"(?:(?P<{unit}>{_NUMBER}){unit})?" for unit, _ in _UNITS))
_PLAIN = re.compile(rf"-?{_NUMBER}")
EXAMPLES = "500ms, 2s, 1h30m or plain seconds"


def parse_duration(value) -> float:
    """Seconds from a number of seconds, or a string such as ``"500ms"``, ``"2s"``, ``"1h30m"``."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, str) and (text := value.strip().lower().replace(" ", "")):
        if _PLAIN.fullmatch(text):
            seconds = float(text)
        elif (match := _SPAN.fullmatch(text)) and any(match[unit] for unit, _ in _UNITS):
            seconds = sum(float(match[unit]) * scale for unit, scale in _UNITS if match[unit] is not None)
            seconds = -seconds if match["sign"] else seconds
        else:
            raise ValueError(f"invalid duration {value!r}: give {EXAMPLES}")
    else:
        raise ValueError(f"invalid duration {value!r}: give {EXAMPLES}")
    if not math.isfinite(seconds):
        raise ValueError(f"duration {value!r} is not finite")
    if seconds < 0:
        raise ValueError(f"duration {value!r} is negative")
    return seconds

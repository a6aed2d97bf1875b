"""Line numbers in a thresholds file, which tomllib does not give: for one-line errors that name the line.

    lines = TomlLines(text)
    lines.top_level["defaults"]              # the line of a top-level key or table
    header, keys = lines.rule(index, count)   # the index-th [[rule]] header's line and its keys' lines

tomllib returns plain dicts with no positions, so the lines of [[rule]] headers and of the keys
in them are found here by a light scan of the text. It reads headers and `key =` lines only
(a header-like line inside a multi-line string would confuse it); when its count of [[rule]]
headers disagrees with what tomllib parsed (inline tables), ``rule`` falls back to coarser lines.
"""

import re

_RULE_HEADER = re.compile(r"\s*\[\[\s*rule\s*\]\]\s*(#.*)?")
_TABLE_HEADER = re.compile(r"""\s*\[{1,2}\s*("[^"]*"|'[^']*'|[\w-]+)[^\]]*\]{1,2}\s*(#.*)?""")
_KEY_LINE = re.compile(r"""\s*("([^"]*)"|'([^']*)'|([\w-]+))\s*=""")


class TomlLines:
    """Line numbers of a TOML text: top-level keys and tables, and each [[rule]] header and its keys."""

    def __init__(self, text: str):
        self.top_level: dict[str, int] = {}
        self.rules: list[tuple[int, dict[str, int]]] = []
        keys: dict[str, int] | None = self.top_level
        for number, line in enumerate(text.splitlines(), start=1):
            if _RULE_HEADER.fullmatch(line):
                keys = {}
                self.rules.append((number, keys))
            elif header := _TABLE_HEADER.fullmatch(line):
                self.top_level.setdefault(header[1].strip("\"'"), number)
                keys = None
            elif keys is not None and (key := _KEY_LINE.match(line)):
                keys.setdefault(key[2] or key[3] or key[4], number)

    def rule(self, index: int, count: int) -> tuple[int | None, dict[str, int]]:
        """The header line and key lines of the index-th of ``count`` rule tables."""
        if len(self.rules) == count:
            return self.rules[index]
        return self.top_level.get("rule"), {}

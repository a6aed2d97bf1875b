"""A CSV file as pandas should see it: UTF-8, one "\\n" or "\\r\\n" per line, comma-separated; whoever wrote it.

Usage::

    from reports.csv_source import open_source

    source = open_source(path, required_by=prefix)   # None: an optional file that is missing
    source.header, source.assumed                     # the header's fields; what was assumed, one phrase each
    with source.open() as stream: ...                 # bytes for pandas; source.text() for the csv module

Locust on Linux writes exactly that, and such a file is read in place (the fast path). What else teams have
is normalised in memory, each line kept on its own line so that errors name the line as the file counts it:

- another encoding (Locust on Windows writes the system code page: GBK, CP949, CP1252): detected by
  ``charset-normalizer`` (the detector ``requests`` uses), and said;
- "\\r\\r\\n" line ends (Locust 2.x on Windows: its csv writer's "\\r\\n" through a text-mode file) and "\\r"
  alone (old Mac editors) become one line end each;
- a semicolon- or tab-separated file (Excel re-saves in many locales), with decimal commas ("1,5") there;
- rows of bare separators (",,,,,", Excel's leftovers) become blank lines, which the readers skip;
- a file whose head looks like Locust's but that pandas cannot read is tried once more through this path.

The checks of the file itself (exists, readable, not empty) and their one-line errors are here too.
"""

import codecs
import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from reports.input_checks import ReportInputError, read_head

HEAD_BYTES = 1 << 16  # how much of a file decides whether it can be read in place
DELIMITERS = (",", ";", "\t")
_BARE_ROW = re.compile(r"[ ,;\t]*")
_DECIMAL_COMMA = re.compile(r"-?\d+,\d+")
_EAST_ASIAN = {
    "gb18030",
    "gbk",
    "gb2312",
    "big5",
    "big5hkscs",
    "cp949",
    "euc_kr",
    "johab",
    "cp932",
    "shift_jis",
    "euc_jp",
    "cp950",
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@dataclass
class CsvSource:
    path: Path
    header: list[str]
    data: bytes | None = None  # the normalised text as UTF-8; None: the file itself is read
    assumed: list[str] = field(default_factory=list)  # what was assumed to read it, one phrase each

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else self.path.stat().st_size

    def open(self):
        """A binary stream of UTF-8 text with its line ends (for pandas)."""
        return io.BytesIO(self.data) if self.data is not None else open(self.path, "rb")

    def text(self):
        """The same as text, for the csv module (newline="" keeps quoted line ends)."""
        return io.TextIOWrapper(self.open(), encoding="utf-8-sig", newline="")

    def ending(self) -> tuple[int, str | None]:
        """Bytes to read, and how the file ends: None (a line end), "cut" (a half-written last line, not in
        the bytes to read) or "unended" (a last line with all the header's fields but no line end: an editor's
        re-save, read; or a run killed in its last figure, which no file can tell apart)."""
        size = self.size
        with self.open() as handle:
            handle.seek(max(0, size - (1 << 20)))
            tail = handle.read()
        if tail.endswith((b"\n", b"\r")) or b"\n" not in tail:  # complete; or a header alone (no rows to save)
            return size, None
        start = tail.rfind(b"\n") + 1
        last = next(csv.reader([tail[start:].decode("utf-8", "replace")]), [])
        if len(last) == len(self.header):
            return size, "unended"
        return size - len(tail) + start, "cut"

    def assumption(self) -> str | None:
        """One line saying what was assumed to read the file, or None when nothing was."""
        return f"{self.path}: {'; '.join(self.assumed)}" if self.assumed else None


def open_source(path: Path, required_by: str | None) -> CsvSource | None:
    """The file's source, normalised when its head needs it; None for a missing optional file."""
    head = read_head(path, required_by, HEAD_BYTES)
    if head is None:
        return None
    if _plain(head):
        return CsvSource(path, _header(head.decode("utf-8-sig").splitlines()[0]))
    return normalised(path)


def normalised(path: Path) -> CsvSource:
    """The whole file normalised in memory (see the module's docstring); ReportInputError if it is not text."""
    raw = path.read_bytes()
    text, encoding, basis = _decode(path, raw)
    assumed = [f"read as {encoding} text (not UTF-8; {basis})"] if encoding else []
    ends = _line_ends(text)
    if ends:
        assumed.append(ends)
    text = text.replace("\r\r\n", "\n").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    delimiter = _delimiter(lines[0])
    if delimiter != ",":
        assumed.append(f"read as {'semicolon' if delimiter == ';' else 'tab'}-separated (an Excel re-save?)")
        lines, decimal_commas = _to_commas(lines, delimiter)
        if decimal_commas:
            assumed.append("decimal commas read as points")
    bare = [number for number, line in enumerate(lines[1:], 2) if line and _BARE_ROW.fullmatch(line)]
    if bare:
        assumed.append(f"{len(bare)} rows of bare separators skipped (line {bare[0]} first)")
        for number in bare:
            lines[number - 1] = ""
    data = "\n".join(lines).encode("utf-8")
    return CsvSource(path, _header(lines[0]), data, assumed)


def _plain(head: bytes) -> bool:
    """Does the head read as Locust writes: UTF-8, "\\n" or "\\r\\n" line ends, commas, no bare rows?"""
    try:
        text = codecs.getincrementaldecoder("utf-8-sig")().decode(head)  # a character cut at the end is fine
    except UnicodeDecodeError:
        return False
    if "\r\r" in text or re.search(r"\r(?!\n)", text.rstrip("\r")) or _CONTROL.search(text):
        return False  # odd line ends; control characters (NUL blocks of a crash) are refused by normalised()
    lines = text.splitlines()
    return _delimiter(lines[0]) == "," and not any(line and _BARE_ROW.fullmatch(line) for line in lines[1:])


def _decode(path: Path, raw: bytes) -> tuple[str, str | None, str]:
    """The text, the encoding's name when it is not UTF-8, and what that choice rests on. Control characters
    (the NUL blocks a crash leaves) are refused: no text encoding explains them."""
    try:
        text, encoding, basis = raw.decode("utf-8-sig"), None, ""
    except UnicodeDecodeError as bad:
        text, encoding, basis = _guess(path, raw, bad.start)
    control = _CONTROL.search(text)
    if control:
        _not_text(path, raw, len(text[: control.start()].encode(encoding or "utf-8")))
    return text, encoding, basis


def _guess(path: Path, raw: bytes, first_bad: int) -> tuple[str, str, str]:
    """Which code page: charset-normalizer's best when it is an East Asian one (their byte pairs are strict, a
    wrong one rarely decodes); else GBK if it decodes to Chinese characters only (a few bytes of Chinese names
    fool the detector: 4 bytes of "接口" came out as MAC-ICELAND); else CP1252 if it decodes to Latin letters
    only (the Windows code page of Western Europe and the Americas; the detector says CP1250 or CP852 for a few
    accented letters); else the detector's best. Written here because charset-normalizer ranks by its own
    measure of chaos, which few bytes of names cannot inform."""
    from charset_normalizer import from_bytes  # imported here: only files that are not UTF-8 need it

    best = from_bytes(raw).best()
    if best is None or best.encoding in ("utf_8", "ascii"):
        _not_text(path, raw, first_bad)
    outside = sum(byte >= 0x80 for byte in raw)
    basis = f"a guess from {outside} bytes outside ASCII"
    if best.encoding in _EAST_ASIAN:
        return str(best), best.encoding.upper().replace("_", "-"), basis
    high_runs = [len(run) for run in re.findall(rb"[\x80-\xff]+", raw)]
    if all(length % 2 == 0 for length in high_runs) and _decodes_to(raw, "gbk", ("CJK", "FULLWIDTH", "IDEOGRAPHIC")):
        return raw.decode("gbk"), "GBK", basis  # Chinese comes in byte pairs; accented Latin letters alone
    if _decodes_to(raw, "cp1252", ("LATIN",)):
        return raw.decode("cp1252"), "CP1252", basis
    return str(best), best.encoding.upper().replace("_", "-"), basis


def _decodes_to(raw: bytes, encoding: str, scripts: tuple[str, ...]) -> bool:
    """Does ``raw`` decode to letters of these scripts (by Unicode name), punctuation and symbols only?"""
    try:
        text = raw.decode(encoding)
    except UnicodeDecodeError:
        return False
    return all(
        unicodedata.name(char, "").startswith(scripts) or unicodedata.category(char)[0] in "PSZN"
        for char in set(text)
        if ord(char) >= 0x80
    )


def _not_text(path: Path, raw: bytes, at: int):
    line = raw.count(b"\n", 0, at) + 1
    raise ReportInputError(f"{path}: line {line}: not text in any encoding found (byte 0x{raw[at]:02x})")


def _line_ends(text: str) -> str | None:
    if "\r\r\n" in text:
        return "'\\r\\r\\n' line ends read as one each (Locust on Windows)"
    if re.search(r"\r(?!\n)", text):
        return "'\\r' line ends read as line ends"
    return None


def _delimiter(header: str) -> str:
    """The separator of a header line: the one of ',', ';', tab that it holds most of (',' on a tie)."""
    return max(DELIMITERS, key=lambda delimiter: (header.count(delimiter), delimiter == ","))


def _to_commas(lines: list[str], delimiter: str) -> tuple[list[str], bool]:
    """The lines re-written comma-separated, line for line; "1,5" -> "1.5" (a decimal comma is the locale's)."""
    out, decimal_commas = [], False
    for line in lines:
        fields = next(csv.reader([line], delimiter=delimiter), [])
        for index, value in enumerate(fields):
            if _DECIMAL_COMMA.fullmatch(value):
                fields[index], decimal_commas = value.replace(",", "."), True
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="").writerow(fields)
        out.append(buffer.getvalue())
    return out, decimal_commas


def _header(line: str) -> list[str]:
    return next(csv.reader([line.lstrip("\ufeff")]), [])

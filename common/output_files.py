"""One way to write an output file, used by every part: whole or not at all, and never destroying what is there.

    with output_file("results/verdict.xml") as handle:      # binary; text=True for text
        handle.write(xml)
    write_output("results/run_monitor.json", text)            # the same, for one string or bytes

* A regular file (or a path with nothing yet) is written to a temporary file of a unique name in the same folder,
  flushed to disk, then renamed over the path: a reader sees the old file or the new one, never half of one; a
  failure (a full disk) leaves the old file and no temporary behind. Unique names: a temporary a killed run left
  blocks nothing, and two writers of one path at once each write whole (the last one wins).
* A symbolic link is followed: its target is replaced, the link stays a link.
* A device or a FIFO (``/dev/null``, ``/dev/stdout``, a named pipe), or a link to one, is written to directly:
  renaming over it would replace the system's node with a plain file.
* A directory, a socket, or a folder that cannot be made is an ``OutputError`` (one line, naming the path).

``check_outputs`` is for before any traffic: the same path given twice, a directory, a folder that can't be made
or written to. It imports nothing but the standard library (``reports`` uses it too).
"""

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path


class OutputError(OSError):
    """An output that cannot be written where it was asked for (one line)."""


def _direct(path: Path) -> bool:
    """True for a device, a FIFO or a link to one: written in place, never renamed over."""
    try:
        mode = os.stat(path).st_mode  # follows links
    except (FileNotFoundError, NotADirectoryError):  # nothing there yet (or a file where its folder should be)
        return False
    if stat.S_ISDIR(mode):
        raise OutputError(f"{path}: is a directory, not a file")
    if stat.S_ISSOCK(mode):
        raise OutputError(f"{path}: is a socket, not a file")
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)


@contextlib.contextmanager
def output_file(path, text: bool = False) -> Iterator:
    """A handle to write ``path`` whole (see the module's docstring)."""
    path = Path(path)
    if _direct(path):
        with open(path, "w" if text else "wb") as handle:
            yield handle
        return
    target = Path(os.path.realpath(path))  # a link's target is what gets replaced
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"{path}: cannot make its folder: {exc.strerror or exc}") from None
    descriptor, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        with os.fdopen(descriptor, "w" if text else "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        _give_default_mode(temporary, target)
        os.replace(temporary, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_output(path, data: str | bytes) -> None:
    with output_file(path, text=isinstance(data, str)) as handle:
        handle.write(data)


def _give_default_mode(temporary: str, target: Path) -> None:
    """mkstemp makes files 0600: keep an existing file's mode, else what a plain open would give (0666 - umask)."""
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    os.chmod(temporary, mode)


def check_outputs(outputs: dict[str, list[str]]) -> str | None:
    """Before any traffic: why these outputs can't be written, or None. ``outputs``: {option: [paths]}.

    Refused: one path for two outputs, a path that is a directory, a folder that does not exist and cannot be
    made, or one that is not writable. Missing folders are made here (as Locust makes its --csv folder).
    """
    seen: dict[str, str] = {}
    for option, paths in outputs.items():
        for raw in paths:
            path = Path(raw)
            key = os.path.realpath(path)
            if key in seen and not _is_device(path):
                return f"{option} {raw}: the same file as {seen[key]}"
            seen[key] = f"{option} {raw}"
            try:
                _direct(path)
            except OutputError as exc:
                return f"{option} {exc}"
            folder = Path(key).parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                return f"{option} {raw}: cannot make its folder {folder}: {exc.strerror or exc}"
            if not _is_device(path) and not _can_write_in(folder):
                return f"{option} {raw}: its folder {folder} is not writable"
    return None


def _can_write_in(folder: Path) -> bool:
    """Whether a file can be made in ``folder``, found by making one: ``os.access`` says yes to root on a
    read-only mount or an immutable folder."""
    try:
        with tempfile.TemporaryFile(dir=folder):
            return True
    except OSError:
        return False


def _is_device(path: Path) -> bool:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode) or stat.S_ISFIFO(mode)

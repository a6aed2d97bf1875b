"""Named baselines: a run's CSV files and its metadata, kept in a directory, written atomically.

Usage (the CLI's ``baseline`` commands)::

    store = BaselineStore("baselines")
    store.save("v1.4", "results/run", host="http://127.0.0.1:8080")   # ReportInputError if it exists
    store.save("v1.4", "results/run", replace=True)                    # replace on purpose
    store.names()            # ["v1.4", ...]
    store.meta("v1.4")       # {"name", "users", "duration_seconds", "host", "locust_version", "date", ...}
    store.prefix("v1.4")     # a PREFIX that reports.load.load_run reads, like any run's
    store.delete("v1.4")

A baseline is ``DIR/NAME/`` holding ``run_stats.csv``, ``run_stats_history.csv``, the failures and
exceptions files, the monitor export when there was one, and ``meta.json``. It is assembled in a
temporary directory beside it and renamed into place, so a baseline is whole or absent.
"""

import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from reports.input_checks import ReportInputError
from reports.load import load_run

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")
SUFFIXES = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", "_monitor.json", "_monitor.csv")
META = "meta.json"


def git_commit(directory: Path | None = None) -> str | None:
    """The commit checked out where the report runs (``+dirty`` with local changes), or None."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"],
            cwd=directory or Path.cwd(),
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],
            cwd=directory or Path.cwd(),
            capture_output=True,
            text=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return commit + ("+dirty" if dirty else "") if commit else None


def locust_version() -> str | None:
    try:
        return importlib.metadata.version("locust")  # package metadata: reports never import Locust
    except importlib.metadata.PackageNotFoundError:
        return None


def run_metadata(run, host: str | None) -> dict:
    monitor_run = (run.monitor or {}).get("run", {})
    first = int(run.history["timestamp"].iloc[0])
    return {
        "users": int(run.max_users),
        "duration_seconds": round(float(run.duration_seconds), 1),
        "host": host or monitor_run.get("host") or "unknown",
        "locust_version": monitor_run.get("locust_version") or locust_version(),
        "date": datetime.fromtimestamp(first, UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "endpoints": len(run.endpoints),
        "full_history": bool(run.full_history),
        "source": str(Path(run.prefix).resolve()),
    }


def _drop_cut_line(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: data.rfind(b"\n") + 1])


class BaselineStore:
    def __init__(self, directory: str | Path = "baselines"):
        self.directory = Path(directory)

    def _path(self, name: str) -> Path:
        if not NAME.match(name or ""):
            raise ReportInputError(f"baseline name {name!r}: use letters, digits, '.', '_' or '-' (at most 100)")
        return self.directory / name

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        return sorted(p.name for p in self.directory.iterdir() if (p / META).is_file())

    def meta(self, name: str) -> dict:
        path = self._path(name) / META
        if not path.is_file():
            known = ", ".join(self.names()) or "none"
            raise ReportInputError(f"no baseline {name!r} in {self.directory} (baselines: {known})")
        try:
            return json.loads(path.read_text())
        except (OSError, ValueError) as exc:
            raise ReportInputError(f"{path}: unreadable baseline metadata ({exc})") from None

    def prefix(self, name: str) -> str:
        self.meta(name)
        return str(self._path(name) / "run")

    def save(
        self, name: str, prefix: str, host: str | None = None, replace: bool = False, progress=None, allow_cut=False
    ) -> dict:
        target = self._path(name)
        if target.exists() and not replace:
            raise ReportInputError(
                f"baseline {name!r} already exists in {self.directory}; give --replace to replace it"
            )
        run = load_run(prefix, progress, allow_cut=allow_cut)  # only a run that loads becomes a baseline
        meta = {"name": name, "saved_at": datetime.now(UTC).isoformat(timespec="seconds"), **run_metadata(run, host)}
        self.directory.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{name}.", dir=self.directory))
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it 0700: a baseline is for the whole team
        try:
            for suffix in SUFFIXES:
                source = Path(f"{prefix}{suffix}")
                if source.is_file():
                    shutil.copyfile(source, staging / f"run{suffix}")
            if run.warnings:  # kept with --allow-cut: the baseline holds the complete lines only
                _drop_cut_line(staging / "run_stats_history.csv")
            (staging / META).write_text(json.dumps(meta, indent=2) + "\n")
            self._swap_in(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return meta

    def _swap_in(self, staging: Path, target: Path) -> None:
        """Rename the staged baseline into place; an old one is renamed away first, then removed."""
        retired = None
        if target.exists():
            retired = target.with_name(f".{target.name}.retired-{time.time_ns()}")
            os.replace(target, retired)
        os.replace(staging, target)
        if retired is not None:
            shutil.rmtree(retired, ignore_errors=True)

    def delete(self, name: str) -> None:
        self.meta(name)
        target = self._path(name)
        retired = target.with_name(f".{target.name}.deleted-{time.time_ns()}")
        os.replace(target, retired)  # gone from the listing at once, even if the removal is cut short
        shutil.rmtree(retired, ignore_errors=True)

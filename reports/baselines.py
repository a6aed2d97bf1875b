"""Named baselines, each a history of runs: their CSV files, metadata and figures, written atomically.

Usage (the CLI's ``baseline`` commands)::

    store = BaselineStore("baselines")
    store.save("main", "results/run", host="http://127.0.0.1:8080")   # adds a run to the history (the last 20 kept)
    store.save("main", "results/run", replace=True)                    # the history becomes this one run
    store.names()                  # ["main", ...]
    history = store.history("main")   # History: .runs (oldest first), .warnings (runs left out, one line each)
    history.runs[-1].prefix        # a PREFIX that reports.load.load_run reads, like any run's
    store.delete("main")

A baseline is ``DIR/NAME/runs/<id>/`` per run, each holding ``run_stats.csv``, ``run_stats_history.csv``, the
failures and exceptions files, the monitor export when there was one, and ``meta.json`` (the run's metadata and
its figures for comparisons: ``reports.compare.RunFigures``, so a comparison with a history of 20 runs reads 20
small files, not 20 histories). Each run is assembled in a temporary directory beside it and renamed into place,
so it is whole or absent; ids sort in the order runs were saved. A baseline saved before histories existed
(``DIR/NAME/meta.json`` beside the CSV files) reads as a history of one run.
"""

import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reports.baseline_meta import NAME, run_metadata
from reports.input_checks import ReportInputError
from reports.load import load_run

SUFFIXES = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", "_monitor.json", "_monitor.csv")
META = "meta.json"
RUNS = "runs"
KEEP_RUNS = 20


@dataclass
class StoredRun:
    id: str
    path: Path  # the run's folder
    meta: dict

    @property
    def prefix(self) -> str:
        return str(self.path / "run")

    @property
    def label(self) -> str:
        return f"run {self.id} (of {self.meta.get('date', '?')})" + (
            f" ({self.meta['git_commit'][:12]})" if self.meta.get("git_commit") else ""
        )


@dataclass
class History:
    name: str
    runs: list[StoredRun] = field(default_factory=list)  # oldest first
    warnings: list[str] = field(default_factory=list)  # runs left out, one line each


META_TYPES = {  # what a saved run's meta.json must hold, and of which type (a hand edit may break any)
    "users": (int, type(None)),  # None: a history of Locust before 1.0 (no user count)
    "duration_seconds": (int, float),
    "date": (str,),
    "host": (str,),
    "locust_version": (str, type(None)),
    "git_commit": (str, type(None)),
    "figures": (dict, type(None)),
}


def _read_meta(path: Path) -> dict:
    data = json.loads(path.read_text())
    if not isinstance(data, dict):
        raise ValueError(f"not the metadata of a saved run: a JSON {type(data).__name__}, not an object")
    for key, types in META_TYPES.items():
        value = data.get(key)
        if (key in data or type(None) not in types) and (not isinstance(value, types) or isinstance(value, bool)):
            raise ValueError(f"{key!r} is {value!r}, not {' or '.join(t.__name__ for t in types)}")
    return data


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
        found = (p.name for p in self.directory.iterdir() if (p / RUNS).is_dir() or (p / META).is_file())
        return sorted(name for name in found if NAME.match(name))

    def history(self, name: str) -> History:
        """Every run of the baseline that can be read; one that cannot is a warning, and the rest are used."""
        folder = self._path(name)
        candidates = sorted((folder / RUNS).iterdir()) if (folder / RUNS).is_dir() else []
        candidates = [path for path in candidates if path.is_dir() and not path.name.startswith(".")]
        if (folder / META).is_file():  # saved before baselines held histories: its one run, the oldest
            candidates.insert(0, folder)
        if not candidates:
            known = ", ".join(self.names()) or "none"
            raise ReportInputError(f"no baseline {name!r} in {self.directory} (baselines: {known})")
        history = History(name)
        for path in candidates:
            run_id = "legacy" if path == folder else path.name
            try:
                meta = _read_meta(path / META)
            except (OSError, ValueError) as exc:
                history.warnings.append(f"baseline {name!r}: run {run_id} left out: unreadable {META} ({exc})")
                continue
            if not (path / "run_stats_history.csv").is_file():
                history.warnings.append(f"baseline {name!r}: run {run_id} left out: its history file is missing")
                continue
            history.runs.append(StoredRun(run_id, path, meta))
        versions = sorted({str(run.meta.get("locust_version")) for run in history.runs})
        if len(versions) > 1:
            history.warnings.append(f"baseline {name!r}: its runs were made with Locust {', '.join(versions)}")
        if not history.runs:
            raise ReportInputError(f"baseline {name!r}: none of its {len(candidates)} runs can be read")
        return history

    def save(
        self,
        name: str,
        prefix: str,
        host: str | None = None,
        replace: bool = False,
        keep: int = KEEP_RUNS,
        progress=None,
        allow_cut=False,
        figures=None,
    ) -> dict:
        """Add the run at ``prefix`` to the baseline's history (``replace``: make it the only run); ``figures``
        makes the run's comparison figures from the loaded run (``reports.compare.RunFigures``)."""
        folder = self._path(name)
        run = load_run(prefix, progress, allow_cut=allow_cut)  # only a run that loads becomes a baseline
        meta = {"name": name, "saved_at": datetime.now(UTC).isoformat(timespec="seconds"), **run_metadata(run, host)}
        if figures is not None:
            meta["figures"] = figures(run)
        runs = folder / RUNS
        runs.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".staging.", dir=runs))
        _team_readable(staging)
        try:
            for suffix in SUFFIXES:
                source = Path(f"{prefix}{suffix}")
                if source.is_file():
                    shutil.copyfile(source, staging / f"run{suffix}")
            if run.warnings:  # kept with --allow-cut: the baseline holds the complete lines only
                _drop_cut_line(staging / "run_stats_history.csv")
            (staging / META).write_text(json.dumps(meta, indent=2) + "\n")
            now = time.time_ns()  # the id sorts in saving order: 20261129T133546.123456
            run_id = f"{time.strftime('%Y%m%dT%H%M%S', time.gmtime(now // 10**9))}.{now // 1000 % 10**6:06d}"
            os.replace(staging, runs / run_id)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        meta["run_id"] = run_id
        older = [path for path in sorted(runs.iterdir()) if path.name != run_id and not path.name.startswith(".")]
        retire = older if replace else older[: max(0, len(older) + 1 - keep)]
        if replace or len(older) + 1 > keep:
            self._retire_legacy(folder)
        for path in retire:
            self._retire(path)
        return meta

    def _retire_legacy(self, folder: Path) -> None:
        """A pre-history baseline's files, kept in the folder itself, go when the history is trimmed or replaced."""
        if (folder / META).is_file():
            for path in [folder / META, *(folder / f"run{suffix}" for suffix in SUFFIXES)]:
                path.unlink(missing_ok=True)

    @staticmethod
    def _retire(path: Path) -> None:
        retired = path.with_name(f".{path.name}.retired-{time.time_ns()}")
        os.replace(path, retired)  # gone from the listing at once, even if the removal is cut short
        shutil.rmtree(retired, ignore_errors=True)

    def delete(self, name: str) -> None:
        self.history(name)  # an unknown baseline: one line
        self._retire(self._path(name))


def _team_readable(path: Path) -> None:
    """mkdtemp makes folders 0700: a baseline is for the whole team."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o777 & ~umask)

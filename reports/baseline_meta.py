"""What is recorded about a run saved as a baseline: who made it, when, with what, against which host.

run_metadata(run, host)   # {"users", "duration_seconds", "host", "locust_version", "date", "git_commit", ...}
NAME.match(name)          # a baseline name: letters, digits, '.', '_' or '-', at most 100
"""

import importlib.metadata
import re
import subprocess
from datetime import UTC, datetime
from pathlib import Path

NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$")


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
        "users": run.max_users,  # None: the history does not say
        "duration_seconds": round(float(run.duration_seconds), 1),
        "host": host or monitor_run.get("host") or "unknown",
        "locust_version": monitor_run.get("locust_version") or locust_version(),
        "date": datetime.fromtimestamp(first, UTC).isoformat(timespec="seconds"),
        "git_commit": git_commit(),
        "endpoints": len(run.endpoints),
        "full_history": bool(run.full_history),
        "source": str(Path(run.prefix).resolve()),
    }

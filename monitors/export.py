"""``--monitor-export PREFIX``: the monitor's history and alerts as JSON and CSV, written atomically.

Files (each replaced whole, never half-written: a killed run keeps the last complete set)::

    PREFIX_monitor.json   {"written", "final", "verdict", "rules", "alerts", "snapshots": [...]}
    PREFIX_monitor.csv    one row per snapshot: time, elapsed, state, generators, generators_missing,
                          generator_bound, then every metric of monitors.metrics (aggregated)
    PREFIX_alerts.csv     one row per alert: id, rule, metric, endpoint, severity, peak_severity,
                          state, value, threshold, started, acknowledged_at, resolved_at, message

Usage::

    write_export(prefix, monitor, final=False)    # periodically (--monitor-export-every) and at quit
"""

import csv
import json
import time
from pathlib import Path

from boltons.fileutils import atomic_save

from monitors.snapshot import ROW_COLUMNS, flat_row

ALERT_COLUMNS = (
    "id",
    "rule",
    "metric",
    "endpoint",
    "severity",
    "peak_severity",
    "state",
    "value",
    "threshold",
    "started",
    "acknowledged_at",
    "resolved_at",
    "message",
)


def export_paths(prefix: str) -> dict[str, Path]:
    return {name: Path(f"{prefix}_{name}") for name in ("monitor.json", "monitor.csv", "alerts.csv")}


def _write_csv(path: Path, columns, rows) -> None:
    with atomic_save(str(path), text_mode=True) as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def write_export(prefix: str, monitor, final: bool, verdict: dict | None = None) -> dict[str, Path]:
    paths = export_paths(prefix)
    paths["monitor.json"].parent.mkdir(parents=True, exist_ok=True)
    status = monitor.status()
    snapshots = monitor.history.last()
    document = {
        "written": time.time(),
        "final": final,
        "verdict": verdict,
        "aborted": status["aborted"],
        "generator_bound": status["generator_bound"],
        "saturation": status["saturation"],
        "rules": status["rules"],
        "alerts": status["alerts"],
        "snapshots_dropped": monitor.history.dropped,
        "snapshots": snapshots,
    }
    with atomic_save(str(paths["monitor.json"]), text_mode=True) as handle:
        json.dump(document, handle, separators=(",", ":"), default=str)
    _write_csv(paths["monitor.csv"], ROW_COLUMNS, [flat_row(snapshot) for snapshot in snapshots])
    _write_csv(paths["alerts.csv"], ALERT_COLUMNS, status["alerts"])
    return paths

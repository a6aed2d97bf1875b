"""``--monitor-export PREFIX``: the monitor's history and alerts as JSON and CSV, written atomically.

Files (each replaced whole, never half-written: a killed run keeps the last complete set)::

    PREFIX_monitor.json   {"written", "run": {"host", "locust_version", "started", "settings"}, "final", "verdict",
                           "aborted", "generator_bound", "rules", "alerts", "snapshots": [...]}
    PREFIX_monitor.csv    one row per snapshot: time, elapsed, state, generators, generators_missing,
                          generator_bound, then every metric of monitors.metrics (aggregated)
    PREFIX_alerts.csv     one row per alert: id, rule, metric, endpoint, severity, peak_severity,
                          state, value, threshold, started, acknowledged_at, resolved_at, message

Usage::

    export = MonitorExport(prefix)
    export.write(monitor, final=False)    # periodically (--monitor-export-every), at test stop and at quit
"""

import csv
import io
import json
import time
from pathlib import Path

from common.output_files import output_file
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


def _csv_line(values) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


class MonitorExport:
    """Writes the export; each snapshot is serialized once and kept, so a write of an hour of
    history is a join and a file write, not a re-encoding that would stall the run's event loop."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self._encoded: dict[float, tuple[str, str]] = {}  # snapshot time -> (JSON, CSV line)

    def _encode(self, snapshots: list[dict]) -> list[tuple[str, str]]:
        encoded = {}
        for snapshot in snapshots:
            key = snapshot["time"]
            encoded[key] = self._encoded.get(key) or (
                json.dumps(snapshot, separators=(",", ":"), default=str),
                _csv_line(flat_row(snapshot).values()),
            )
        self._encoded = encoded  # snapshots the history dropped are dropped here too
        return list(encoded.values())

    def write(self, monitor, final: bool, verdict: dict | None = None, run: dict | None = None) -> dict[str, Path]:
        paths = export_paths(self.prefix)
        paths["monitor.json"].parent.mkdir(parents=True, exist_ok=True)
        status = monitor.status()
        encoded = self._encode(monitor.history.last())
        head = {
            "written": time.time(),
            "run": run or {},
            "final": final,
            "verdict": verdict,
            "aborted": status["aborted"],
            "generator_bound": status["generator_bound"],
            "saturation": status["saturation"],
            "rules": status["rules"],
            "alerts": status["alerts"],
            "snapshots_dropped": monitor.history.dropped,
        }
        document = json.dumps(head, separators=(",", ":"), default=str)
        with output_file(str(paths["monitor.json"]), text=True) as handle:
            handle.write(document[:-1] + ',"snapshots":[' + ",".join(text for text, _ in encoded) + "]}")
        with output_file(str(paths["monitor.csv"]), text=True) as handle:
            handle.write(_csv_line(ROW_COLUMNS) + "".join(line for _, line in encoded))
        with output_file(str(paths["alerts.csv"]), text=True) as handle:
            writer = csv.DictWriter(handle, fieldnames=ALERT_COLUMNS, extrasaction="ignore", lineterminator="\n")
            writer.writeheader()
            writer.writerows(status["alerts"])
        return paths

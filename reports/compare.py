"""``compare``: per endpoint and metric, is the current run worse than the baseline, by how much, how sure?

Usage::

    result = compare_runs(baseline_steady, current_steady, min_effect=0.10, min_failure_points=1.0)
    result.table          # endpoint, metric, baseline, current, effect, ci_low, ci_high, p, p_adjusted, verdict
    result.regressions    # rows whose verdict is "regression"
    warnings = comparability_warnings(baseline_meta, current_meta)

The samples are the per-interval values of Locust's history, steady state only (warm-up cut),
blocked into non-overlapping 10-row windows (Locust's current percentiles overlap over 10 s).
p50, p95, p99 and RPS are compared as relative changes (the minimum practical effect is a
fraction, 10% by default); the failure rate as a difference in percentage points (1 by default).
The whole family of endpoints x metrics is corrected for multiple testing (see
``reports.run_comparison.compare_family``).
"""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from boltons.fileutils import atomic_save
from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from reports.run_comparison import compare_family
from reports.series import AGGREGATED

# metric -> (higher is worse, kind)
COMPARED = {
    "p50": (True, "relative"),
    "p95": (True, "relative"),
    "p99": (True, "relative"),
    "failure_rate": (True, "absolute"),
    "rps": (False, "relative"),
}
DURATION_TOLERANCE = 0.2
COLUMNS = [
    "endpoint",
    "metric",
    "baseline",
    "current",
    "effect",
    "ci_low",
    "ci_high",
    "p",
    "p_adjusted",
    "verdict",
    "note",
]


@dataclass
class ComparisonResult:
    table: pd.DataFrame
    only_in_baseline: list[str]
    only_in_current: list[str]

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"]


def comparability_warnings(baseline: dict, current: dict) -> list[str]:
    warnings = []
    if baseline.get("users") != current.get("users"):
        warnings.append(f"different user counts: baseline {baseline.get('users')}, current {current.get('users')}")
    b, c = baseline.get("duration_seconds") or 0, current.get("duration_seconds") or 0
    if max(b, c) and abs(b - c) / max(b, c) > DURATION_TOLERANCE:
        warnings.append(f"different durations: baseline {b:.0f} s, current {c:.0f} s")
    hosts = baseline.get("host"), current.get("host")
    if "unknown" not in hosts and None not in hosts and hosts[0] != hosts[1]:
        warnings.append(f"different hosts: baseline {hosts[0]}, current {hosts[1]}")
    return warnings


def compare_runs(
    baseline_steady, current_steady, min_effect: float = 0.10, min_failure_points: float = 1.0, confidence: float = 0.95
) -> ComparisonResult:
    baseline_endpoints, current_endpoints = set(baseline_steady.endpoints()), set(current_steady.endpoints())
    shared = sorted(baseline_endpoints & current_endpoints, key=lambda e: (e != AGGREGATED, e))
    keys, pairs = [], []
    percentiles = baseline_steady.current_percentiles and current_steady.current_percentiles
    for endpoint in shared:
        for metric, (higher_is_worse, kind) in COMPARED.items():
            if metric.startswith("p") and not percentiles:
                continue  # cumulative percentiles (no --csv-full-history) are not per-interval samples
            keys.append((endpoint, metric))
            pairs.append(
                {
                    "baseline": baseline_steady.series(endpoint, metric)[1],
                    "current": current_steady.series(endpoint, metric)[1],
                    "higher_is_worse": higher_is_worse,
                    "kind": kind,
                    "min_effect": min_failure_points if kind == "absolute" else min_effect,
                }
            )
    results = compare_family(pairs, min_effect=min_effect, confidence=confidence)
    rows = [
        {
            "endpoint": endpoint,
            "metric": metric,
            "baseline": _median(pair["baseline"]),
            "current": _median(pair["current"]),
            "effect": result.effect,
            "ci_low": result.ci_low,
            "ci_high": result.ci_high,
            "p": result.p_value,
            "p_adjusted": result.p_adjusted,
            "verdict": result.verdict,
            "note": result.note,
        }
        for (endpoint, metric), pair, result in zip(keys, pairs, results, strict=True)
    ]
    table = pd.DataFrame(rows, columns=COLUMNS)
    return ComparisonResult(
        table, sorted(baseline_endpoints - current_endpoints), sorted(current_endpoints - baseline_endpoints)
    )


def _median(values: np.ndarray) -> float:
    return float(np.median(values)) if len(values) else float("nan")


def effect_text(row) -> str:
    if row["metric"] == "failure_rate":
        return f"{row['effect']:+.2f} pt [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]"
    return f"{row['effect']:+.1%} [{row['ci_low']:+.1%}, {row['ci_high']:+.1%}]"


def write_junit(path: str, result: ComparisonResult, names: tuple[str, str]) -> None:
    suite = TestSuite(f"ctxload compare {names[1]} against {names[0]}")
    for _, row in result.table.iterrows():
        case = TestCase(f"{row['endpoint']} {row['metric']}", classname="ctxload.compare")
        message = f"{row['verdict']}: {effect_text(row)}, p adjusted {row['p_adjusted']:.3g}"
        if row["verdict"] == "regression":
            case.result = [Failure(message, "regression")]
        elif row["verdict"] == "inconclusive":
            case.result = [Skipped(message + (f" ({row['note']})" if row["note"] else ""))]
        suite.add_testcase(case)
    document = JUnitXml()
    document.add_testsuite(suite)
    xml = document.tostring()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with atomic_save(path) as handle:
        handle.write(xml if isinstance(xml, bytes) else xml.encode())

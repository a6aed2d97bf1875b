"""``compare``: per endpoint and metric, is the current run worse than its baseline, by how much, how sure?

Usage::

    current = RunFigures.of(run, steady)                     # estimates and the load profile of a run
    result = compare_runs(history, current, min_effect=0.10, min_failure_points=1.0)   # history: [RunFigures]
    result.table          # endpoint, metric, baseline, current, effect, ci_low, ci_high, p, p_adjusted, verdict, ...
    result.regressions    # rows whose verdict is "regression"
    result.lines          # one line each: the basis, runs left out of the history, why not comparable

Metrics: ``mean`` (mean latency, exact per interval from Locust's totals), ``rps``, ``failure_rate`` (points),
and with ``--csv-full-history`` in both runs ``p50``, ``p95``, ``p99`` (Locust's windowed percentiles); how each
run's figure and its error are made: ``reports.estimates``. With a history of at least 5 comparable runs, a verdict
accounts for the variation between runs; with fewer, it is made against the latest run "within the run" only, and
says so (``reports.verdicts``). Runs that are not comparable (``reports.comparability``) get no verdict at all.
"""

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from junitparser import Failure, JUnitXml, Skipped, TestCase, TestSuite

from common.output_files import output_file
from reports import comparability, estimates
from reports.intervals import merge_blocks, reporting_period
from reports.series import AGGREGATED, PERCENTILES
from reports.verdicts import HISTORY_MIN_RUNS, METHOD, Verdict, against_history, against_run, decide_family

# metric -> higher is worse
COMPARED = {"mean": True, "rps": False, "failure_rate": True, "p50": True, "p95": True, "p99": True}
LATENCIES = ("mean", *PERCENTILES)
NOT_COMPARABLE = "not comparable"
COLUMNS = ["endpoint", "metric", "baseline", "current", "effect", "ci_low", "ci_high", "p", "p_adjusted", "verdict",
           "basis", "note"]  # fmt: skip


@dataclass
class RunFigures:
    """What a comparison needs of a run: an estimate per endpoint and metric, and its load profile."""

    label: str
    estimates: dict[str, dict[str, estimates.Estimate]]
    profile: dict

    @classmethod
    def of(cls, run, steady, label: str | None = None) -> "RunFigures":
        figures: dict[str, dict[str, estimates.Estimate]] = {}
        for endpoint in steady.endpoints():
            spans = steady.spans(endpoint)
            blocks = merge_blocks(spans, reporting_period(spans))
            figures[endpoint] = {
                "mean": estimates.mean_latency(blocks),
                "rps": estimates.throughput(blocks),
                "failure_rate": estimates.failure_rate(blocks),
            }
            if steady.current_percentiles:
                for metric in PERCENTILES:
                    figures[endpoint][metric] = estimates.windowed(*steady.series(endpoint, metric))
        return cls(label or run.prefix, figures, comparability.run_profile(run, steady))

    def as_dict(self) -> dict:
        values = {
            endpoint: {m: e.as_dict() for m, e in metrics.items()} for endpoint, metrics in self.estimates.items()
        }
        return {"method": METHOD, "estimates": values, "profile": self.profile}

    @classmethod
    def from_dict(cls, label: str, data: dict) -> "RunFigures":
        """From what ``as_dict`` stored; ValueError when it was made by another method (recompute it)."""
        if data.get("method") != METHOD:
            raise ValueError(f"made by compare method {data.get('method')!r}, not {METHOD!r}")
        values = {
            endpoint: {metric: estimates.Estimate.from_dict(e) for metric, e in metrics.items()}
            for endpoint, metrics in data["estimates"].items()
        }
        return cls(label, values, data["profile"])


@dataclass
class ComparisonResult:
    table: pd.DataFrame
    only_in_baseline: list[str]
    only_in_current: list[str]
    lines: list[str] = field(default_factory=list)  # the basis, left-out runs, reasons not comparable
    not_comparable: list[str] = field(default_factory=list)

    @property
    def regressions(self) -> pd.DataFrame:
        return self.table[self.table["verdict"] == "regression"]


def _history_in_use(history: list[RunFigures], current: RunFigures, lines: list[str]) -> list[RunFigures]:
    """The history's runs comparable with the current one; each left out is a line."""
    kept = []
    for run in history:
        why = comparability.reasons(run.profile, current.profile)
        if why:
            lines.append(f"left out of the baseline history: {run.label} ({'; '.join(why)})")
        else:
            kept.append(run)
    return kept


def compare_runs(
    history: list[RunFigures],
    current: RunFigures,
    min_effect: float = 0.10,
    min_failure_points: float = 1.0,
    confidence: float = 0.95,
) -> ComparisonResult:
    """The current run against the baseline's history of runs (oldest first; one run is a history of one)."""
    latest = history[-1]
    lines: list[str] = []
    usable = _history_in_use(history, current, lines) if len(history) > 1 else history
    not_comparable = comparability.reasons((usable or history)[-1].profile, current.profile)
    if not usable:
        not_comparable = not_comparable or ["no run of the baseline history is comparable"]
        usable = [latest]
    between = len(usable) >= HISTORY_MIN_RUNS
    lines.insert(0, f"Compare method {METHOD}.")
    if between:
        lines.insert(1, f"Judged against a history of {len(usable)} runs: the verdicts account for the variation "
                        "between runs.")  # fmt: skip
    else:
        lines.insert(1, f"Judged within the run only, against {usable[-1].label}: the baseline history holds "
                        f"{len(usable)} comparable run{'s' * (len(usable) != 1)}, and {HISTORY_MIN_RUNS} are needed "
                        "to account for the variation between runs.")  # fmt: skip
    caveats = [comparability.latency_caveat(current.profile, "current run"),
               comparability.latency_caveat(usable[-1].profile, "baseline")]  # fmt: skip
    caveat = "; ".join(c for c in caveats if c)
    baseline_endpoints, current_endpoints = set(usable[-1].estimates), set(current.estimates)
    shared = sorted(baseline_endpoints & current_endpoints, key=lambda e: (e != AGGREGATED, e))
    keys, tests = [], []
    for endpoint in shared:
        for metric in COMPARED:
            mine = current.estimates[endpoint].get(metric)
            theirs = [run.estimates[endpoint][metric] for run in usable if metric in run.estimates.get(endpoint, {})]
            if mine is None or not theirs:
                continue
            keys.append((endpoint, metric))
            runs_with_it = len(theirs) >= HISTORY_MIN_RUNS
            tests.append(against_history(theirs, mine) if between and runs_with_it else against_run(theirs[-1], mine))
    verdicts = _decide_by_family(keys, tests, min_effect, min_failure_points, confidence)
    rows = []
    for (endpoint, metric), verdict in zip(keys, verdicts, strict=True):
        theirs = [run.estimates[endpoint][metric].value for run in usable if metric in run.estimates.get(endpoint, {})]
        if not_comparable:
            verdict = Verdict(NOT_COMPARABLE, *[float("nan")] * 5, verdict.basis, "; ".join(not_comparable))
        elif caveat and metric in LATENCIES:
            verdict = Verdict(NOT_COMPARABLE, *[float("nan")] * 5, verdict.basis, caveat)
        rows.append({
            "endpoint": endpoint, "metric": metric,
            "baseline": float(pd.Series(theirs).mean()) if between else theirs[-1],
            "current": current.estimates[endpoint][metric].value,
            "effect": verdict.effect, "ci_low": verdict.ci_low, "ci_high": verdict.ci_high, "p": verdict.p_value,
            "p_adjusted": verdict.p_adjusted, "verdict": verdict.verdict, "basis": verdict.basis, "note": verdict.note,
        })  # fmt: skip
    table = pd.DataFrame(rows, columns=COLUMNS)
    return ComparisonResult(
        table, sorted(baseline_endpoints - current_endpoints), sorted(current_endpoints - baseline_endpoints),
        lines, not_comparable,
    )  # fmt: skip


def _decide_by_family(keys, tests, min_effect, min_failure_points, confidence) -> list[Verdict]:
    """Two families, each corrected for its own size: the Aggregated row (the gate a CI run acts on, decided
    before looking) and the endpoints (many more tests, which would otherwise widen the gate's intervals)."""
    verdicts: list[Verdict | None] = [None] * len(keys)
    for primary in (True, False):
        members = [i for i, (endpoint, _metric) in enumerate(keys) if (endpoint == AGGREGATED) == primary]
        decided = decide_family(
            [tests[i] for i in members],
            [COMPARED[keys[i][1]] for i in members],
            [min_failure_points if keys[i][1] == "failure_rate" else min_effect for i in members],
            confidence,
        )
        for i, verdict in zip(members, decided, strict=True):
            verdicts[i] = verdict
    return verdicts


def effect_text(row) -> str:
    if row["verdict"] == NOT_COMPARABLE or pd.isna(row["effect"]):
        return "n/a"
    interval = not (pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]))  # no "+nan%" where no interval was found
    if row["metric"] == "failure_rate":
        bounds = f" [{row['ci_low']:+.2f}, {row['ci_high']:+.2f}]" if interval else ""
        return f"{row['effect']:+.2f} pt{bounds}"
    return f"{row['effect']:+.1%}" + (f" [{row['ci_low']:+.1%}, {row['ci_high']:+.1%}]" if interval else "")


def write_junit(path: str, result: ComparisonResult, names: tuple[str, str]) -> None:
    suite = TestSuite(f"ctxload compare {names[1]} against {names[0]}")
    comparable = TestCase("runs are comparable", classname="ctxload.compare")
    if result.not_comparable:
        comparable.result = [Skipped(f"{NOT_COMPARABLE}: " + "; ".join(result.not_comparable))]
    suite.add_testcase(comparable)
    for _, row in result.table.iterrows():
        case = TestCase(f"{row['endpoint']} {row['metric']}", classname="ctxload.compare")
        message = f"{row['verdict']}: {effect_text(row)}, p adjusted {row['p_adjusted']:.3g} ({row['basis']})"
        if row["verdict"] == "regression":
            case.result = [Failure(message, "regression")]
        elif row["verdict"] in ("inconclusive", NOT_COMPARABLE):
            case.result = [Skipped(message + (f": {row['note']}" if row["note"] else ""))]
        suite.add_testcase(case)
    for line in result.lines:
        suite.add_property("note", line)
    document = JUnitXml()
    document.add_testsuite(suite)
    xml = document.tostring()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with output_file(path) as handle:
        handle.write(xml if isinstance(xml, bytes) else xml.encode())

"""PNG plots of a run and of a comparison (matplotlib, Agg: no display needed).

Usage::

    over_time(run, steady, out / "over_time.png")              # RPS, latency, users against time
    latency_distribution(run, out / "latency_distribution.png") # each endpoint's percentile curve
    users_vs_latency(steady, out / "users_vs_latency.png")
    run_plots(run, steady, out)                                  # those three: {heading: path}
    comparison(table, baseline_steady, current_steady, out / "compare.png")

Long histories are averaged into at most ``MAX_POINTS`` points per line: a 24-hour run has
86,400 rows per endpoint, more than a plot can show. Files are written atomically.
"""

import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)
import numpy as np  # noqa: E402

from common.output_files import output_file  # noqa: E402
from reports.series import AGGREGATED  # noqa: E402

MAX_POINTS = 1500
TOP_ENDPOINTS = 8
VERDICT_COLOURS = {"regression": "#c0392b", "improvement": "#27ae60", "no change": "#7f8c8d", "inconclusive": "#f0b400"}


def thin(times: np.ndarray, values: np.ndarray, max_points: int = MAX_POINTS) -> tuple[np.ndarray, np.ndarray]:
    """Block means, so a line of a day of seconds stays readable and cheap to draw."""
    if len(times) <= max_points:
        return times, values
    size = int(np.ceil(len(times) / max_points))
    usable = len(times) // size * size
    grid = values[:usable].reshape(-1, size)
    finite = np.isfinite(grid)
    counts = finite.sum(axis=1)
    sums = np.where(finite, grid, 0.0).sum(axis=1)
    means = np.divide(sums, counts, out=np.full(counts.shape, np.nan), where=counts > 0)  # all-NaN block: NaN
    return times[:usable].reshape(-1, size).mean(axis=1), means


def _latency_scale(axis) -> None:
    """Logarithmic above 1 ms, linear below (a 0 ms of Locust's rounding stays on the plot), never below 0:
    a latency has no negative ticks."""
    axis.set_yscale("symlog", linthresh=1.0)
    axis.set_ylim(bottom=0)


def _legend(axis, **options) -> None:
    if axis.get_legend_handles_labels()[0]:  # a run without data in the series has nothing to label
        axis.legend(**options)


def _save(figure, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with output_file(str(path)) as handle, warnings.catch_warnings():
        # Endpoint names in scripts DejaVu Sans lacks (Chinese, Korean) are drawn as boxes; one warning per
        # glyph on stderr helps no one reading the report.
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .* missing from font", category=UserWarning)
        figure.savefig(handle, format="png", dpi=100, bbox_inches="tight")
    plt.close(figure)
    return path


def _aggregated(run):
    rows = run.history[run.history["endpoint"] == AGGREGATED]
    start = run.history["timestamp"].iloc[0]
    return rows, (rows["timestamp"] - start).to_numpy(dtype=float) / 60


def over_time(run, steady, path: Path) -> Path:
    rows, minutes = _aggregated(run)
    figure, (rps, latency, users) = plt.subplots(3, 1, figsize=(11, 8), sharex=True)
    for axis, columns, label in (
        (rps, ("rps", "fail_rps"), "per second"),
        (latency, ("p50", "p95", "p99"), "ms (current)" if run.full_history else "ms (cumulative: no full history)"),
        (users, ("users",), "users"),
    ):
        for column in columns:
            axis.plot(*thin(minutes, rows[column].to_numpy(dtype=float)), label=column, linewidth=1)
        axis.set_ylabel(label)
        _legend(axis, loc="upper left", fontsize="small")
        if steady.warmup.cut_seconds:
            axis.axvspan(0, steady.warmup.cut_seconds / 60, color="#ddd", label="warm-up")
    _latency_scale(latency)
    users.set_xlabel("minutes since the start (grey: warm-up, left out of steady-state figures)")
    figure.suptitle(f"{run.prefix}: aggregated over time")
    return _save(figure, path)


def latency_distribution(run, path: Path) -> Path:
    stats = run.stats[run.stats["endpoint"] != AGGREGATED].nlargest(TOP_ENDPOINTS, "requests")
    columns = ["p50", "p66", "p75", "p80", "p90", "p95", "p98", "p99", "p999", "p9999", "p100"]
    figure, axis = plt.subplots(figsize=(11, 5))
    for _, row in stats.iterrows():
        axis.plot(range(len(columns)), row[columns].to_numpy(dtype=float), marker="o", label=str(row["endpoint"]))
    axis.set_xticks(range(len(columns)), ["50", "66", "75", "80", "90", "95", "98", "99", "99.9", "99.99", "100"])
    axis.set_xlabel("percentile (whole run)")
    axis.set_ylabel("response time (ms)")
    _latency_scale(axis)
    _legend(axis, fontsize="small")
    axis.set_title(f"Latency distribution of the {len(stats)} busiest endpoints")
    return _save(figure, path)


def users_vs_latency(steady, path: Path) -> Path:
    history = steady.history
    rows = history[history["endpoint"] == AGGREGATED]  # the whole run: in the steady state users don't vary
    minutes = (rows["timestamp"] - steady.start).to_numpy(dtype=float) / 60
    _, users = thin(minutes, rows["users"].to_numpy(dtype=float))
    times, p95 = thin(minutes, rows["p95"].to_numpy(dtype=float))
    figure, axis = plt.subplots(figsize=(8, 6))
    points = axis.scatter(users, p95, c=times, s=8, cmap="viridis")
    figure.colorbar(points, label="minutes since the start")
    axis.set_xlabel("users")
    axis.set_ylabel("aggregated p95 (ms)")
    axis.set_title("Users against latency (whole run)")
    return _save(figure, path)


def run_plots(run, steady, out: Path) -> dict[str, Path]:
    """The three plots of a run, by heading (the summary and the trend pages show the same ones)."""
    return {
        "Over time": over_time(run, steady, out / "over_time.png"),
        "Latency distribution": latency_distribution(run, out / "latency_distribution.png"),
        "Users against latency": users_vs_latency(steady, out / "users_vs_latency.png"),
    }


def comparison(table, baseline_steady, current_steady, path: Path, rows: int = 30) -> Path:
    """Each verdict's effect with its interval, and both runs' exact mean latency per interval (steady state)."""
    tested = table[np.isfinite(table["effect"].to_numpy(dtype=float))]
    order = {"regression": 0, "improvement": 1}
    shown = tested.sort_values("verdict", key=lambda v: v.map(order).fillna(2)).head(rows)
    figure, (bars, lines) = plt.subplots(1, 2, figsize=(14, max(4, 0.3 * len(shown) + 2)))
    labels = [f"{e} {m}" for e, m in zip(shown["endpoint"], shown["metric"], strict=True)]
    centre = shown["effect"].to_numpy(dtype=float)
    errors = [centre - shown["ci_low"].to_numpy(dtype=float), shown["ci_high"].to_numpy(dtype=float) - centre]
    colours = [VERDICT_COLOURS.get(v, "#7f8c8d") for v in shown["verdict"]]
    bars.barh(labels, centre, xerr=np.nan_to_num(errors, posinf=0.0), color=colours, capsize=2)
    bars.axvline(0, color="black", linewidth=0.8)
    bars.invert_yaxis()
    bars.set_xlabel("effect: relative change (failure rate: points), with its confidence interval")
    for name, steady in (("baseline", baseline_steady), ("current", current_steady)):
        spans = steady.spans(AGGREGATED)
        minutes = (spans.end - steady.start) / 60
        lines.plot(*thin(minutes, spans.mean_ms), label=f"{name}", linewidth=1)
    lines.set_xlabel("minutes since the start (steady state)")
    lines.set_ylabel("aggregated mean latency per interval (ms)")
    lines.set_ylim(bottom=0)
    lines.legend()
    figure.suptitle("Current run against the baseline")
    return _save(figure, path)

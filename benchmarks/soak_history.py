"""``python -m benchmarks.soak_history PREFIX``: a long soak run's CSV files, synthetic, in Locust 2.47's format.

Writes what ``locust --headless --csv PREFIX --csv-full-history`` would leave after a soak, without
running one, so the reports can be measured on a day of history: ``PREFIX_stats.csv``,
``PREFIX_stats_history.csv`` and header-only ``PREFIX_failures.csv`` and ``PREFIX_exceptions.csv``::

    python -m benchmarks.soak_history /tmp/soak                        # 24 h x 20 endpoints: ~1.8 M rows
    python -m benchmarks.soak_history /tmp/short --hours 0.25 --endpoints 3 --seed 7 --no-full-history

    from benchmarks.soak_history import write_soak
    write_soak("/tmp/soak", hours=24, endpoints=20)     # {"paths": {"stats": Path, ...}, "history_rows": 1814380, ...}

The run: users ramp to 200 over 10 minutes (a tenth of a shorter run), hold, and are 0 in the last
row (Locust's row after the stop); latencies are log-normal around each endpoint's median, slower
under load, their noise smoothed over 10 s as Locust's current percentiles are; the middle endpoint
in making order (``/api/payments`` of 20) drifts to 2.5x slower by the end; the last one
(``/api/stores`` of 20) has a failure burst (40 %) for 2 % of the run from 60 % of it.

As Locust writes them: one row a second; for each second the endpoints sorted by (name, type), then
``Aggregated``; the first row is ``Aggregated`` alone with ``N/A`` percentiles; with full history the
percentiles are current ones (last ~10 s; 0 when an endpoint had no request then), without it the
``Aggregated`` rows carry cumulative ones; response times kept for percentiles are rounded as Locust
rounds them; lines end in CRLF. The first two endpoints share a name (``GET`` and ``POST /api/cart``).
Same arguments, same bytes. A day (24 h x 20 endpoints, 298 MB) takes ~5 s here.
"""

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

PERCENTILE_HEADERS = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%")
# Standard-normal quantiles of those percentiles; the maximum (100%) as a 4-sigma request.
Z = np.array([0.0, 0.4125, 0.6745, 0.8416, 1.2816, 1.6449, 2.0537, 2.3263, 3.0902, 3.7190, 4.0])
STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,Min Response Time,"
    "Max Response Time,Average Content Size,Requests/s,Failures/s," + ",".join(PERCENTILE_HEADERS)
)
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s," + ",".join(PERCENTILE_HEADERS) + ",Total Request Count,"
    "Total Failure Count,Total Median Response Time,Total Average Response Time,Total Min Response Time,"
    "Total Max Response Time,Total Average Content Size"
)
FAILURES_HEADER = "Method,Name,Error,Occurrences,First Seen,Last Seen"
EXCEPTIONS_HEADER = "Count,Message,Traceback,Nodes"
CRLF = "\r\n"  # Python's csv module, which Locust writes with, ends rows so
START_TIME = 1_767_225_600  # 2026-01-01T00:00:00Z: fixed, so that a seed always gives the same bytes
PEAK_USERS = 200
REQUESTS_PER_USER_SECOND = 0.5
BLOCK_SECONDS = 3600  # formatted and written an hour at a time: a day's row strings at once would need GBs
RESOURCES = (
    "cart", "catalog", "checkout", "orders", "profile", "search", "session", "inventory", "reviews", "wishlist",
    "payments", "shipping", "coupons", "recommendations", "notifications", "addresses", "returns", "invoices",
    "ratings", "stores",
)  # fmt: skip
NO_DATA = ",".join(["N/A"] * len(Z)) + ","
NO_RECENT_DATA = ",".join(["0"] * len(Z)) + ","


def make_endpoints(count: int, rng: np.random.Generator) -> list[dict]:
    """Endpoints with their own median, spread, share of the traffic and response size, in Locust's order."""
    endpoints = []
    for index in range(count):
        version = f"/v{index // len(RESOURCES)}" if index >= len(RESOURCES) else ""
        resource = f"/api/{RESOURCES[index % len(RESOURCES)]}{version}"
        if index == 1:  # the same name under two types: reports must tell "GET /api/cart" from "POST /api/cart"
            resource = endpoints[0]["name"]
        method = "POST" if index == 1 or index % 5 == 3 else "GET"
        endpoints.append({"method": method, "name": resource, "creation": index})
    medians = np.clip(rng.lognormal(np.log(25), 0.7, count), 2, 400)
    shares = rng.dirichlet(np.full(count, 2.0))
    for endpoint, median, sigma, share, size in zip(
        endpoints, medians, rng.uniform(0.25, 0.6, count), shares, rng.integers(100, 5000, count), strict=True
    ):
        endpoint.update(median=float(median), sigma=float(sigma), share=float(share), size=int(size))
    return sorted(endpoints, key=lambda endpoint: (endpoint["name"], endpoint["method"]))


def rolling_sum(values: np.ndarray, window: int) -> np.ndarray:
    """Sum of the last ``window`` seconds (this one included) along the first axis."""
    total = np.cumsum(values, axis=0, dtype=float)
    total[window:] = total[window:] - total[:-window]
    return total


def locust_rounded(milliseconds: np.ndarray) -> np.ndarray:
    """Response times as Locust keeps them for percentiles: exact under 100 ms, then 2 significant digits."""
    digits = np.select([milliseconds < 100, milliseconds < 1000, milliseconds < 10000], [0, -1, -2], -3)
    scale = 10.0 ** (-digits)
    return np.round(milliseconds * scale) / scale


def simulate(endpoints: list[dict], seconds: int, rng: np.random.Generator) -> dict:
    """Per second (rows) and endpoint (columns): requests, failures, log-latency centre (mu) and spread."""
    count = len(endpoints)
    elapsed = np.arange(seconds)
    ramp = max(1, min(600, seconds // 10))
    users = np.minimum(PEAK_USERS, np.ceil(PEAK_USERS * elapsed / ramp)).astype(np.int64)
    users[-1] = 0
    share = np.array([endpoint["share"] for endpoint in endpoints])
    requests = rng.poisson(users[:, None] * REQUESTS_PER_USER_SECOND * share[None, :])
    requests[0] = 0  # Locust's first row is written before the first request...
    requests[1] = np.maximum(requests[1], 1)  # ...and an endpoint has rows once it has had one: all from the next
    by_creation = np.array([endpoint["creation"] for endpoint in endpoints])
    drifting, bursting = by_creation == count // 2, by_creation == count - 1
    failure_rate = np.full((seconds, count), 0.0005)
    burst_start, burst_length = int(seconds * 0.6), max(30, seconds // 50)
    failure_rate[burst_start : burst_start + burst_length, bursting] = 0.4
    failures = rng.binomial(requests, failure_rate)
    # Smoothed noise: Locust's current percentiles cover ~10 s, so they move smoothly second to second.
    mu = rolling_sum(rng.normal(0, 0.12, (seconds, count)), 10) / 10
    mu += np.log([endpoint["median"] for endpoint in endpoints])[None, :] + np.log1p(0.3 * users / PEAK_USERS)[:, None]
    mu[:, drifting] += np.log1p(1.5 * elapsed / seconds)[:, None]
    mu[burst_start : burst_start + burst_length, bursting] += np.log(2)
    sigma = np.broadcast_to(np.array([endpoint["sigma"] for endpoint in endpoints]), mu.shape)
    jitter = rng.random(mu.shape)  # spreads each second's fastest and slowest request
    return {"users": users, "requests": requests, "failures": failures, "mu": mu, "sigma": sigma, "jitter": jitter}


def mixture(weights: np.ndarray, mu: np.ndarray, sigma: np.ndarray, axis: int) -> tuple[np.ndarray, np.ndarray]:
    """The log-normal nearest to a weighted mix of log-normals (same mean and variance of the log)."""
    total = weights.sum(axis=axis)
    safe = np.where(total > 0, total, 1)
    centre = (weights * mu).sum(axis=axis) / safe
    spread = (weights * (sigma**2 + mu**2)).sum(axis=axis) / safe - centre**2
    return centre, np.sqrt(np.maximum(spread, 0))


def cumulative_mixture(weights, mu, sigma) -> tuple[np.ndarray, np.ndarray]:
    """``mixture`` of everything up to each second (cumulative percentiles, total medians)."""
    total = np.cumsum(weights, axis=0)
    safe = np.where(total > 0, total, 1)
    centre = np.cumsum(weights * mu, axis=0) / safe
    spread = np.cumsum(weights * (sigma**2 + mu**2), axis=0) / safe - centre**2
    return centre, np.sqrt(np.maximum(spread, 0))


def percentile_texts(keys: list[float]) -> list[str]:
    """The 11 percentile fields for each key of ``format_block`` (-1: N/A, -2: no request in the window)."""
    state = np.array(keys)
    mu, sigma = np.floor(state / 1000) / 200, (state % 1000) / 200
    values = locust_rounded(np.exp(mu[:, None] + sigma[:, None] * Z[None, :])).astype(np.int64).tolist()
    special = {-1: NO_DATA, -2: NO_RECENT_DATA}
    return [special.get(key) or ",".join(map(str, row)) + "," for key, row in zip(keys, values, strict=True)]


def rendered(keys: np.ndarray, render=None, render_all=None) -> np.ndarray:
    """Each distinct key rendered once (``render(key)`` or ``render_all(keys)``): most columns repeat a few
    thousand values over a day."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    texts = render_all(distinct.tolist()) if render_all else [render(key) for key in distinct.tolist()]
    return np.array(texts or [""], dtype=object)[inverse.reshape(keys.shape)]


def with_total(values: np.ndarray) -> np.ndarray:
    """Endpoint columns plus their sum as the last (Aggregated) column."""
    return np.column_stack([values, values.sum(axis=1)])


def percentile_state(requests, mu, sigma, current: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Centre and spread behind each row's percentiles, and the requests they cover (0: none to show).

    With --csv-full-history Locust writes current percentiles (the last ~10 s), otherwise cumulative ones.
    """
    if current:
        recent = rolling_sum(requests, 10)
        centre, spread = mixture(recent, mu, sigma, axis=1)
        return np.column_stack([mu, centre]), np.column_stack([sigma, spread]), with_total(recent)
    centre, spread = cumulative_mixture(requests, mu, sigma)
    total_centre, total_spread = cumulative_mixture(requests.sum(axis=1), *mixture(requests, mu, sigma, axis=1))
    covered = with_total(requests).cumsum(axis=0)
    return np.column_stack([centre, total_centre]), np.column_stack([spread, total_spread]), covered


def columns(sim: dict, endpoints: list[dict], full_history: bool) -> dict:
    """Every history value for every second, endpoint columns then Aggregated (the last column)."""
    requests, failures, mu, sigma = sim["requests"], sim["failures"], sim["mu"], sim["sigma"]
    seconds = len(requests)
    lagged, failed_lagged = np.zeros_like(requests), np.zeros_like(failures)
    lagged[3:], failed_lagged[3:] = requests[:-3], failures[:-3]  # current_rps: Locust's seconds t-12 .. t-3
    out = {"rps_sum": rolling_sum(with_total(lagged), 10), "fail_sum": rolling_sum(with_total(failed_lagged), 10)}
    out["window"] = np.broadcast_to(np.clip(np.arange(seconds) - 2, 1, 10)[:, None], out["rps_sum"].shape)
    out["pct_mu"], out["pct_sigma"], out["covered"] = percentile_state(requests, mu, sigma, full_history)
    cumulative = with_total(requests).cumsum(axis=0)
    out["requests"], out["failures"] = cumulative, with_total(failures).cumsum(axis=0)
    safe = np.where(cumulative > 0, cumulative, 1)
    out["average"] = with_total(np.cumsum(requests * np.exp(mu + sigma**2 / 2), axis=0)) / safe
    centre, _ = cumulative_mixture(requests, mu, sigma)
    total_centre, _ = cumulative_mixture(requests.sum(axis=1), *mixture(requests, mu, sigma, axis=1))
    out["median"] = locust_rounded(np.exp(np.column_stack([centre, total_centre]))).astype(np.int64)
    jitter = sim["jitter"]
    fastest = np.minimum.accumulate(np.where(requests > 0, np.exp(mu - 2.5 * sigma) * (1 + jitter), np.inf), axis=0)
    slowest = np.maximum.accumulate(np.where(requests > 0, np.exp(mu + 3.5 * sigma) * (1 + jitter), 0), axis=0)
    out["min"] = np.nan_to_num(np.column_stack([fastest, fastest.min(axis=1)]), posinf=0)
    out["max"] = np.column_stack([slowest, slowest.max(axis=1)])
    sizes = np.array([endpoint["size"] for endpoint in endpoints])
    out["size"] = with_total(np.cumsum(requests * sizes, axis=0).astype(float)) / safe
    return out


def format_block(values: dict, first: int, last: int, labels: list[str], users: np.ndarray) -> str:
    """Rows of seconds first..last-1 as text: the pieces are joined once, no row string is built."""
    part = {key: value[first:last, -len(labels) :] for key, value in values.items()}
    shape = part["requests"].shape
    rates = rendered(
        (np.rint(part["rps_sum"]).astype(np.int64) * 10**7 + np.rint(part["fail_sum"]).astype(np.int64)) * 100
        + part["window"],
        lambda key: f"{(key // 10**9) / (key % 100):f},{(key // 100 % 10**7) / (key % 100):f},",
    )
    # (centre, spread) to 1/200, as one number: each distinct pair's 11 percentiles are rendered once
    quantized = np.rint(part["pct_mu"] * 200) * 1000 + np.rint(part["pct_sigma"] * 200)
    keys = np.where(part["requests"] == 0, -1, np.where(part["covered"] == 0, -2, quantized))
    percentiles = rendered(keys, render_all=percentile_texts)
    answered = part["requests"] > 0
    pieces = np.empty((*shape, 10), dtype=object)
    pieces[..., 0] = np.array([f"{START_TIME + t},{users[t]}," for t in range(first, last)], dtype=object)[:, None]
    pieces[..., 1] = np.array(labels, dtype=object)[None, :]
    pieces[..., 2], pieces[..., 3] = rates, percentiles
    pieces[..., 4] = np.array(list(map(str, part["requests"].ravel().tolist())), dtype=object).reshape(shape)
    pieces[..., 5] = rendered(
        part["failures"] * 100000 + part["median"], lambda key: f",{key // 100000},{key % 100000},"
    )
    averages = np.where(answered, part["average"], 0.0).ravel().tolist()
    pieces[..., 6] = np.array(list(map(repr, averages)), dtype=object).reshape(shape)
    pieces[..., 7] = rendered(part["min"], lambda value: f",{value!r}" if value else ",0")
    pieces[..., 8] = rendered(part["max"], lambda value: f",{value!r}" if value else ",0")
    pieces[..., 9] = np.where(answered, rendered(part["size"], lambda value: f",{value!r}{CRLF}"), ",0" + CRLF)
    return "".join(pieces.ravel().tolist())


def write_stats(path: Path, values: dict, endpoints: list[dict], sim: dict, seconds: int) -> None:
    """The final PREFIX_stats.csv: whole-run figures per endpoint, then Aggregated."""
    requests, mu, sigma = sim["requests"], sim["mu"], sim["sigma"]
    centres, spreads = mixture(requests, mu, sigma, axis=0)
    total = mixture(requests.sum(axis=1), *mixture(requests, mu, sigma, axis=1), axis=0)
    duration = max(1, seconds - 1)
    with open(path, "w", newline="") as handle:
        handle.write(STATS_HEADER + CRLF)
        writer = csv.writer(handle, lineterminator=CRLF)
        for column, (method, name) in enumerate([*((e["method"], e["name"]) for e in endpoints), ("", "Aggregated")]):
            centre, spread = (centres[column], spreads[column]) if column < len(endpoints) else total
            count, failed = int(values["requests"][-1, column]), int(values["failures"][-1, column])
            percentiles = locust_rounded(np.exp(centre + spread * Z)).astype(int).tolist()
            finals = [values[key][-1, column] for key in ("median", "average", "min", "max", "size")]
            writer.writerow([method, name, count, failed, *finals, count / duration, failed / duration, *percentiles])


def write_soak(prefix, hours: float = 24.0, endpoints: int = 20, seed: int = 1, full_history: bool = True) -> dict:
    """Write the four CSV files; returns their paths and the number of history rows."""
    if hours <= 0 or endpoints < 1:
        raise ValueError("hours must be positive and endpoints at least 1")
    rng = np.random.default_rng(seed)
    seconds = max(2, round(hours * 3600))
    described = make_endpoints(endpoints, rng)
    sim = simulate(described, seconds, rng)
    values = columns(sim, described, full_history)
    labels = [f"{e['method']},{e['name']}," for e in described] if full_history else []
    labels.append(",Aggregated,")  # format_block writes the last len(labels) columns: Aggregated alone, or all
    paths = {kind: Path(f"{prefix}_{kind}.csv") for kind in ("stats", "stats_history", "failures", "exceptions")}
    rows = 0
    with open(paths["stats_history"], "w", newline="") as handle:
        handle.write(HISTORY_HEADER + CRLF + f"{START_TIME},0,,Aggregated,0.000000,0.000000,{NO_DATA}0,0,0,0.0,0,0,0")
        handle.write(CRLF)
        for first in range(1, seconds, BLOCK_SECONDS):
            last = min(seconds, first + BLOCK_SECONDS)
            handle.write(format_block(values, first, last, labels, sim["users"]))
            rows += (last - first) * len(labels)
    write_stats(paths["stats"], values, described, sim, seconds)
    paths["failures"].write_text(FAILURES_HEADER + CRLF, newline="")
    paths["exceptions"].write_text(EXCEPTIONS_HEADER + CRLF, newline="")
    return {"paths": paths, "history_rows": rows + 1, "seconds": seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.soak_history", description=__doc__, formatter_class=argparse.RawTextHelpFormatter
    )
    parser.add_argument("prefix", help="files are PREFIX_stats.csv, PREFIX_stats_history.csv, ...")
    parser.add_argument("--hours", type=float, default=24.0, help="length of the run (default 24)")
    parser.add_argument("--endpoints", type=int, default=20, help="number of endpoints (default 20)")
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument("--full-history", action=argparse.BooleanOptionalAction, default=True, help="(default: on)")
    args = parser.parse_args(argv)
    if args.hours <= 0 or args.endpoints < 1:
        parser.error("--hours must be positive and --endpoints at least 1")
    started = time.perf_counter()
    result = write_soak(args.prefix, args.hours, args.endpoints, args.seed, args.full_history)
    elapsed = time.perf_counter() - started
    size = sum(path.stat().st_size for path in result["paths"].values())
    print(f"wrote {result['history_rows']} history rows ({size / 1e6:.0f} MB) in {elapsed:.1f} s:")
    for path in result["paths"].values():
        print(f"  {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

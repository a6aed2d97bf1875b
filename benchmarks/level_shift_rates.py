"""``python -m benchmarks level-shifts``: how often the trend report sees a level shift in a flat series.

Flat series as Locust writes them: per-second rates with log-normal AR(1) noise (sd 0.1 per second, lag-1
correlation phi), averaged over Locust's 10-s window, one row a second; each given to
``reports.level_shifts.find_shifts`` at 95% confidence and a 10% minimum change. Also the share of series with
a real 30% drop in their last quarter that it finds::

    python -m benchmarks level-shifts                # 200 series per cell, 15/60/180 minutes, phi 0/0.5/0.9
    python -m benchmarks level-shifts --series 20    # quicker

Prints one row per cell, then one JSON line.
"""

import argparse
import json

import numpy as np

from reports.level_shifts import find_shifts


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m benchmarks level-shifts", description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=200, help="series per cell (default 200)")
    return parser.parse_args(argv)


def locust_like(rng, seconds: int, phi: float, drop_at: float | None = None) -> np.ndarray:
    shocks = rng.normal(0, 0.1, seconds)
    noise = np.empty(seconds)
    level = 0.0
    for index in range(seconds):
        level = phi * level + shocks[index]
        noise[index] = level
    per_second = 100 * np.exp(noise)
    if drop_at is not None:
        per_second[int(drop_at * seconds) :] *= 0.7
    return np.convolve(per_second, np.ones(10) / 10, mode="full")[:seconds]  # Locust's 10-s window


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rng = np.random.default_rng(20261129)
    cells = []
    for phi in (0.0, 0.5, 0.9):
        for minutes in (15, 60, 180):
            seconds = minutes * 60
            times = np.arange(seconds, dtype=float)
            flat = sum(bool(find_shifts(times, locust_like(rng, seconds, phi), "rps")) for _ in range(args.series))
            found = sum(
                bool(find_shifts(times, locust_like(rng, seconds, phi, drop_at=0.75), "rps"))
                for _ in range(args.series)
            )
            cells.append({"phi": phi, "minutes": minutes, "series": args.series, "flat_with_shift": flat,
                          "drop_found": found})  # fmt: skip
            print(f"phi {phi:.1f}, {minutes:3d} min: flat series with a shift {flat}/{args.series}; "
                  f"a 30% drop in the last quarter found {found}/{args.series}")  # fmt: skip
    print(json.dumps(cells))
    return 0

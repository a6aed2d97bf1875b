"""Can two runs be compared at all? The load each applied, and what makes their figures mean something else.

A run's ``profile`` is read from its files (and its monitor export when there is one); ``reasons`` says, one
line each, why two runs are not comparable, in which case a comparison gives no verdict at all::

    profile = run_profile(run, steady)      # users, ramp, lengths, host, settings, generator saturation, failures
    reasons(baseline_profile, current_profile)   # ["different user counts: baseline 20, current 200", ...]
    latency_caveat(profile)                 # "31% of requests failed (more than 10%): ..." or None

Rules (each a line when broken): the same peak user count; users reaching their peak after about the same
time (within 5 s or half the longer ramp: the spawn rate and the load shape show there); the same spawn rate,
load shape and tags when both monitor exports recorded them; the same host when both are known; run lengths
within a factor of 5; no generator saturated (the monitor export's ``generator_bound``: its latencies were then
partly its own queueing). A run in which more than 10% of requests failed keeps its failure-rate verdicts, but
its latencies measure failures too: those rows get no verdict.
"""

import math

import numpy as np

from reports.intervals import merge_blocks, reporting_period

MAX_LENGTH_RATIO = 5.0
HIGH_FAILURE_PERCENT = 10.0
RAMP_TOLERANCE_SECONDS = 5.0
SETTINGS = ("spawn_rate", "shape", "tags", "exclude_tags")


def run_profile(run, steady) -> dict:
    aggregated = steady.history[steady.history["endpoint"] == "Aggregated"]
    users = aggregated["users"].to_numpy(dtype=float)
    known = bool(np.isfinite(users).any())  # Locust before 1.0 wrote no user count
    peak = float(np.nanmax(users)) if known else 0.0
    reached = aggregated["timestamp"].to_numpy()[np.argmax(users >= peak)] - steady.start if known else 0
    blocks = steady.spans("Aggregated")
    blocks = merge_blocks(blocks, reporting_period(blocks))
    requests = float(blocks.requests.sum())
    monitor = run.monitor or {}
    return {
        "users": int(peak) if known else None,
        "ramp_seconds": float(reached),
        "duration_seconds": float(run.duration_seconds),
        "steady_seconds": float(blocks.seconds.sum()),
        "host": (monitor.get("run") or {}).get("host"),
        "settings": (monitor.get("run") or {}).get("settings") or {},
        "generator_bound": bool(monitor.get("generator_bound")),
        "failure_percent": 100.0 * float(blocks.failures.sum()) / requests if requests else math.nan,
    }


def reasons(baseline: dict, current: dict) -> list[str]:
    """Why the two runs are not comparable, one line each (empty: comparable)."""
    found = []
    if baseline.get("users") != current.get("users"):
        found.append(f"different user counts: baseline {baseline.get('users')}, current {current.get('users')}")
    ramps = baseline.get("ramp_seconds"), current.get("ramp_seconds")
    if None not in ramps and abs(ramps[0] - ramps[1]) > max(RAMP_TOLERANCE_SECONDS, 0.5 * max(ramps)):
        found.append(
            f"users reached their peak after {ramps[0]:.0f} s (baseline) and {ramps[1]:.0f} s (current): "
            "a different spawn rate or load shape"
        )
    settings = baseline.get("settings") or {}, current.get("settings") or {}
    for setting in SETTINGS:
        if setting not in settings[0] or setting not in settings[1]:
            continue  # a monitor export that did not record it (or none): unknown is not different
        values = settings[0][setting], settings[1][setting]
        if values[0] != values[1]:
            found.append(f"different {setting.replace('_', ' ')}: baseline {values[0]}, current {values[1]}")
    hosts = baseline.get("host"), current.get("host")
    if None not in hosts and "unknown" not in hosts and hosts[0] != hosts[1]:
        found.append(f"different hosts: baseline {hosts[0]}, current {hosts[1]}")
    lengths = baseline.get("duration_seconds") or 0.0, current.get("duration_seconds") or 0.0
    if min(lengths) > 0 and max(lengths) / min(lengths) > MAX_LENGTH_RATIO:
        found.append(
            f"run lengths {lengths[0]:.0f} s (baseline) and {lengths[1]:.0f} s (current) differ more than "
            f"{MAX_LENGTH_RATIO:g} times"
        )
    for profile, side in ((baseline, "baseline"), (current, "current run")):
        if profile.get("generator_bound"):
            found.append(
                f"the load generator was saturated during the {side} (CPU above 90% for 10 s): "
                "its latencies were partly its own"
            )
    return found


def latency_caveat(profile: dict, side: str) -> str | None:
    """Why latency verdicts mean something else in this run (too many failures), or None."""
    failed = profile.get("failure_percent")
    if failed is not None and failed > HIGH_FAILURE_PERCENT:
        return (
            f"{failed:.0f}% of requests failed in the {side} (more than {HIGH_FAILURE_PERCENT:g}%): "
            "its latencies measure failures too"
        )
    return None

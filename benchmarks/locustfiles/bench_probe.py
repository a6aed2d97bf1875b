"""A measuring probe to load beside a locustfile (``-f locustfile.py,benchmarks/locustfiles/bench_probe.py``).

It defines no users. When ``CTXLOAD_BENCH_PROBE`` names a file, a greenlet appends one JSON line
to it every ``CTXLOAD_BENCH_PROBE_EVERY`` seconds (default 0.5), read in one go, with no switch
between the reads, so that the figures of a line belong to the same instant::

    {"t": <monotonic>, "cpu": <this process's CPU seconds, user + system>, "requests": <Locust's total>,
     "failures": ..., "users": ..., "state": "running", "target_cpu": <CPU seconds of CTXLOAD_BENCH_TARGET_PID>}

A benchmark takes the difference of two lines of the steady phase: CPU seconds and requests in
the same window, without the ramp-up or what runs after the stop (the write audit).

With ``CTXLOAD_BENCH_ACCOUNT_MONITOR=1`` it also charges the CPU time of the monitor's greenlets
(``monitors.hooks.RunMonitor``: the sampling loop, whose ticks it counts, and the server poll)
through ``greenlet.settrace``: at every switch, the thread CPU time since the previous switch goes
to the greenlet switched away from. The lines then carry ``monitor_loop_cpu``, ``monitor_poll_cpu``,
``ticks``, ``polls`` (cumulative) and ``tick_cpu_max`` (the longest tick since the line before).
The trace costs every greenlet switch a little; a benchmark comparing runs turns it on in all of them.
"""

import json
import os
import time

import gevent
import greenlet
from locust import events

PROBE_PATH = os.environ.get("CTXLOAD_BENCH_PROBE")
EVERY = float(os.environ.get("CTXLOAD_BENCH_PROBE_EVERY", "0.5"))
TARGET_PID = int(os.environ.get("CTXLOAD_BENCH_TARGET_PID", "0") or 0)
ACCOUNT_MONITOR = os.environ.get("CTXLOAD_BENCH_ACCOUNT_MONITOR") == "1"


class GreenletClock:
    """Thread CPU time charged to tagged greenlets, switch by switch."""

    def __init__(self):
        self.tags: dict = {}  # greenlet -> tag; the monitor's greenlets live as long as the process
        self.totals: dict[str, float] = {}
        self._last = time.thread_time()
        self._previous = None

    def tag_current(self, tag: str) -> None:
        self.tags[greenlet.getcurrent()] = tag
        self.totals.setdefault(tag, 0.0)

    def install(self) -> None:
        self._last = time.thread_time()
        self._previous = greenlet.settrace(self._trace)

    def _trace(self, event, args):
        if event in ("switch", "throw"):
            now = time.thread_time()
            tag = self.tags.get(args[0])
            if tag is not None:
                self.totals[tag] += now - self._last
            self._last = now
        if self._previous is not None:
            self._previous(event, args)


class MonitorAccount:
    """Tags the monitor's greenlets and counts its ticks and polls (patches ``RunMonitor`` in this process only)."""

    def __init__(self, clock: GreenletClock):
        from monitors import hooks
        from monitors.server_view import ServerView

        self.clock = clock
        self.ticks = 0
        self.polls = 0
        self.tick_cpu_max = 0.0
        account = self
        loop, poll_server, tick = hooks.RunMonitor._loop, hooks.RunMonitor._poll_server, hooks.RunMonitor.tick
        poll = ServerView.poll

        def tagged_loop(run_monitor):
            clock.tag_current("monitor_loop")
            return loop(run_monitor)

        def tagged_poll_server(run_monitor):
            clock.tag_current("monitor_poll")
            return poll_server(run_monitor)

        def counted_tick(run_monitor, now):
            started = time.thread_time()
            try:
                return tick(run_monitor, now)
            finally:
                if greenlet.getcurrent() in clock.tags:  # not the last tick, run by Locust's quitting
                    account.ticks += 1
                    account.tick_cpu_max = max(account.tick_cpu_max, time.thread_time() - started)

        def counted_poll(view):
            account.polls += 1
            return poll(view)

        hooks.RunMonitor._loop = tagged_loop
        hooks.RunMonitor._poll_server = tagged_poll_server
        hooks.RunMonitor.tick = counted_tick
        ServerView.poll = counted_poll

    def figures(self) -> dict:
        """Cumulative CPU seconds and counts; ``tick_cpu_max``: the longest tick since the previous call."""
        totals = self.clock.totals
        longest, self.tick_cpu_max = self.tick_cpu_max, 0.0
        return {
            "monitor_loop_cpu": totals.get("monitor_loop", 0.0),
            "monitor_poll_cpu": totals.get("monitor_poll", 0.0),
            "ticks": self.ticks,
            "polls": self.polls,
            "tick_cpu_max": longest,
        }


def _target_cpu():
    if not TARGET_PID:
        return lambda: None
    import psutil

    try:
        target = psutil.Process(TARGET_PID)
    except psutil.Error:
        return lambda: None

    def read():
        try:
            times = target.cpu_times()
        except psutil.Error:
            return None
        return times.user + times.system

    return read


def _sample(environment, handle, target_cpu, account) -> None:
    runner = environment.runner
    while True:
        line = {
            "t": time.monotonic(),
            "cpu": time.process_time(),
            "requests": environment.stats.total.num_requests,
            "failures": environment.stats.total.num_failures,
            "users": runner.user_count if runner else 0,
            "state": runner.state if runner else None,
            "target_cpu": target_cpu(),
        }
        if account is not None:
            line.update(account.figures())
        handle.write(json.dumps(line) + "\n")
        handle.flush()
        gevent.sleep(EVERY)


_account = None
if PROBE_PATH and ACCOUNT_MONITOR:
    _clock = GreenletClock()
    _account = MonitorAccount(_clock)
    _clock.install()


@events.init.add_listener
def _start(environment, **_kwargs):
    if PROBE_PATH:
        handle = open(PROBE_PATH, "a", buffering=1)  # noqa: SIM115 (open until the process ends)
        gevent.spawn(_sample, environment, handle, _target_cpu(), _account)

"""Wire the monitor onto Locust's events: sampling loop, worker reports, verdict, web UI.

The locustfile calls ``register(events)`` *before* ``traffic.hooks.register``: Locust fires
``quitting`` in reverse order, so the verdict then comes after the write audit has run::

    from locust import events
    import monitors
    monitors.register(events)

What each process does, from ``init`` until Locust quits, every ``--monitor-interval``:

* a worker samples itself (``monitors.generators``) and sends it to the master as a message;
* a local runner or a master takes a snapshot (generators, target, system, Locust's stats, the
  server's own view polled every ``--server-poll-interval``), evaluates the threshold rules,
  logs alert changes, a summary every ``--monitor-summary-every``, and writes
  ``--monitor-export`` every ``--monitor-export-every``; a critical alert of a rule with
  ``abort = true`` (or any, with ``--abort-on-critical``) stops the run.

At ``quitting``: a last snapshot and evaluation (lost writes are known only then), the export
and ``--junit`` file, and ``environment.process_exit_code = 3`` if a critical alert held.

The traffic reports gauges without importing this package: the custom event
``common.names.GAUGES_EVENT`` is fired with ``gauges={}`` and its listeners fill it in
(``verification.delivery`` sets ``ws_sessions``). The run's monitor is
``Run.of(environment).find(RunMonitor)`` (``run_monitor_for(environment)``).
"""

import logging
import sys
import time

import gevent
import locust
from locust.event import EventHook
from locust.runners import STATE_MISSING, STATE_RUNNING, STATE_SPAWNING

from common import names
from common.output_failures import OutputFailures
from common.run import Run
from common.worker_figures import WorkerFigures
from monitors import verdict, webui
from monitors.export import MonitorExport
from monitors.generators import GeneratorReport, WorkerTable
from monitors.monitor import Monitor
from monitors.options import MonitorSettings
from monitors.resources import ProcessProbe, system_sample
from monitors.rules import DEFAULT_RULES, ThresholdsError, load_rules, unknown_endpoints
from monitors.server_view import ServerView
from monitors.snapshot import summary_line

logger = logging.getLogger(__name__)

POLL_BUDGET = 0.005  # the share of time the server poll may take (its wall time, parsing included)


def run_monitor_for(environment) -> "RunMonitor | None":
    """The monitor started for ``environment`` (None before ``init`` or without a runner)."""
    return Run.of(environment).find(RunMonitor)


def register(events) -> None:
    if not hasattr(events, names.GAUGES_EVENT):
        setattr(events, names.GAUGES_EVENT, EventHook())
    events.init_command_line_parser.add_listener(MonitorSettings.add_arguments)
    events.init.add_listener(start)


def start(environment, **_kwargs) -> "RunMonitor | None":
    """An ``init`` listener: check the options and the thresholds file (exit 2), then start."""
    try:
        settings = Run.of(environment).options(MonitorSettings)
        worker = Run.of(environment).is_worker
        rules = list(DEFAULT_RULES) if worker or not settings.thresholds else load_rules(settings.thresholds)
    except (ValueError, ThresholdsError) as exc:
        sys.stderr.write(f"locust: error: {exc}\n")
        sys.exit(2)
    if environment.runner is None:
        return None
    run = Run.of(environment).put(RunMonitor(environment, settings, rules))
    if environment.web_ui is not None:
        webui.install(environment.web_ui, run)
    return run


class RunMonitor:
    """The monitor of one Locust process, driven by a greenlet of the runner."""

    def __init__(self, environment, settings: MonitorSettings, rules):
        self.environment = environment
        self.runner = environment.runner
        self.settings = settings
        run = Run.of(environment)
        self.is_worker, self.is_master = run.is_worker, run.is_master
        self.monitor = None if self.is_worker else Monitor(settings, rules)
        self.report = GeneratorReport(environment.events)
        # Each worker's latest sample (periodic figures: the master never waits for them).
        self.samples = WorkerFigures(environment, names.MONITOR_MESSAGE, final=False)
        silence_limit = max(5.0, 3 * settings.monitor_interval)
        self.workers = WorkerTable(silence_limit, self.samples) if self.is_master else None
        self.server: dict | None = None
        self._snapshot_failures = 0
        self._server_view: ServerView | None = None
        self._target: ProcessProbe | None = None
        self._target_gone_said = False
        self._last_summary = self._last_export = time.monotonic()
        self.final_snapshot: dict | None = None
        self.export = MonitorExport(settings.monitor_export) if settings.monitor_export else None
        events = environment.events
        events.test_start.add_listener(self.on_test_start)
        events.test_stop.add_listener(self.on_test_stop)
        if not self.is_worker:
            events.quitting.add_listener(self.on_quitting)
            events.quit.add_listener(self.on_quit)
            if settings.server_poll_interval:
                self.runner.greenlet.spawn(self._poll_server)
        self.runner.greenlet.spawn(self._loop)

    # -- greenlets --------------------------------------------------------------------------
    def _loop(self) -> None:
        next_at = time.monotonic()
        while True:
            try:
                self.tick(time.time())
            except OSError as exc:  # the generator's shortage (no file descriptor left): one line, not each tick
                self._snapshot_failures += 1
                if self._snapshot_failures == 1:
                    logger.error("monitor: a snapshot failed: %s (further failures are not logged)", exc)
            except Exception:  # a monitor bug must not end the load test
                logger.exception("monitor: a snapshot failed")
            # After a stall, carry on from now: ticks in a burst would measure near-zero intervals.
            next_at = max(next_at + self.settings.monitor_interval, time.monotonic())
            gevent.sleep(next_at - time.monotonic())

    def _poll_server(self) -> None:
        while True:
            host = self.environment.host
            spent = 0.0
            if host:
                fresh = self._server_view is None or not self._server_view.url.startswith(host.rstrip("/"))
                if fresh:
                    self._server_view = ServerView(host)
                started = time.monotonic()
                self.server = self._server_view.poll()
                # A fresh view's first poll also opens its connection: its time says little about the context's size.
                spent = 0.0 if fresh else time.monotonic() - started
            # /ctx/all grows with the data (~90 ms for 9 MB here): back off so that polling stays
            # within POLL_BUDGET of the time, whatever --server-poll-interval asks.
            gevent.sleep(max(self.settings.server_poll_interval, spent / POLL_BUDGET))

    # -- one interval ---------------------------------------------------------------------
    def tick(self, now: float) -> dict | None:
        gauges = self.report.gauges()
        if self.is_worker:
            self.samples.publish(self.report.sample(now, gauges))
            return None
        if self.is_master:
            self.workers.keep_only({client.id for client in self.runner.clients.all})
            generators = self.workers.generators(now)
            for name in self.workers.newly_missing(now):
                logger.warning("monitor: %s stopped reporting; its figures are left out of the totals", name)
            self._note_lost_workers()
            system = system_sample()
        else:
            generators = {"local": {**self.report.sample(now, gauges), "missing": False}}
            system = generators["local"]["system"]  # one psutil system sample per interval: it measures since the last
        running = self.runner.state in (STATE_SPAWNING, STATE_RUNNING)
        monitor = self.monitor
        snapshot = monitor.snapshot(
            now,
            self.environment.stats,
            users=self.runner.user_count,
            state=self.runner.state,
            generators=generators,
            target=self._target_sample(self.settings.target_pid or gauges.get(names.GAUGE_TARGET_PID)),
            system=system,
            server=self.server,
            push=gauges.get(names.GAUGE_PUSH),
        )
        if monitor.saturation_message:
            logger.warning("monitor: %s", monitor.saturation_message)
        was_aborted = monitor.aborted
        for alert in monitor.evaluate(snapshot, running):
            log = logger.error if alert.severity == "critical" and alert.state != "resolved" else logger.warning
            log("monitor: alert %s %s %s: %s", alert.id, alert.severity.upper(), alert.state, alert.message)
        if monitor.aborted and not was_aborted:
            logger.error("monitor: ABORTING the run: critical alert: %s", monitor.aborted)
            gevent.spawn(self._stop_run)  # not in the runner's group, which stopping kills
        self._periodic(snapshot)
        return snapshot

    def _note_lost_workers(self) -> None:
        """Keep the workers Locust's heartbeat check marks missing (the closing line names them).

        One that comes back (Locust lets a slow worker heal) is forgotten; one Locust dropped stays.
        """
        lost = self.monitor.lost_workers
        states = {client.id: client.state for client in self.runner.clients.all}
        for client_id, state in states.items():
            if state == STATE_MISSING and client_id not in lost:
                lost.append(client_id)
                logger.error(
                    "monitor: worker %s went missing (no heartbeat); %d worker(s) left",
                    client_id,
                    self.runner.worker_count,
                )
        for client_id in [client_id for client_id in lost if states.get(client_id, STATE_MISSING) != STATE_MISSING]:
            lost.remove(client_id)
            logger.warning("monitor: worker %s is back", client_id)

    def _target_sample(self, pid: int | None) -> dict | None:
        if pid is None:
            return None
        if self._target is None or self._target.pid != pid:
            self._target = ProcessProbe(pid)
            self._target_gone_said = False
        sample = self._target.sample()
        if sample is None and not self._target_gone_said:
            self._target_gone_said = True
            logger.warning("monitor: the target process %s is gone (or not ours to read); its figures are absent", pid)
        return sample

    def _periodic(self, snapshot: dict) -> None:
        clock = time.monotonic()
        every = self.settings.monitor_summary_every
        if every and clock - self._last_summary >= every:
            self._last_summary = clock
            logger.info(summary_line(snapshot, len(self.monitor.alerts.active())))
        every = self.settings.monitor_export_every
        if self.export and every and clock - self._last_export >= every:
            self._last_export = clock
            self._export(final=False)

    def _stop_run(self) -> None:
        headless = getattr(self.environment.parsed_options, "headless", True)
        self.runner.quit() if headless else self.runner.stop()

    def _export(self, final: bool) -> None:
        try:
            run = {"host": self.environment.host, "locust_version": locust.__version__, "settings": self._settings()}
            self.export.write(self.monitor, final, self.verdict(), {**run, "started": self.monitor.test_started})
        except OSError as exc:
            OutputFailures.note(self.environment, "--monitor-export", self.export.prefix, exc)

    def _settings(self) -> dict:
        """How the load was applied, for ``reports compare`` to tell whether two runs are comparable."""
        options = self.environment.parsed_options
        read = lambda name: getattr(options, name, None)  # noqa: E731
        return {
            "users": read("num_users"),
            "spawn_rate": read("spawn_rate"),
            "run_time": read("run_time"),
            "shape": read("shape"),
            "tags": sorted(read("tags") or []) or None,
            "exclude_tags": sorted(read("exclude_tags") or []) or None,
        }

    def verdict(self) -> dict:
        return {
            "exit_code_monitor": verdict.exit_code(self.monitor) or 0,
            "summary": verdict.closing_line(self.monitor),
        }

    # -- events ---------------------------------------------------------------------------
    def on_worker_report(self, msg, **_kwargs) -> None:
        self.workers.update(msg.node_id, msg.data, time.time())

    def on_test_start(self, **_kwargs) -> None:
        try:  # the web UI's form may have changed the monitor's options
            self.settings = Run.of(self.environment).options(MonitorSettings)
        except ValueError as exc:
            logger.error("ctxload: %s; stopping the test", exc)
            self.runner.greenlet.spawn(self.runner.stop)
        if self.monitor is not None:
            self.monitor.settings = self.settings
            self.monitor.start_test(time.time())
            prefix = self.settings.monitor_export
            if prefix != (self.export and self.export.prefix):
                self.export = MonitorExport(prefix) if prefix else None

    def on_test_stop(self, **_kwargs) -> None:
        if self.monitor is None:
            return
        known = {entry.name for entry in self.environment.stats.entries.values()}
        for rule in unknown_endpoints(self.monitor.rules.values(), known):
            logger.warning("monitor: rule %s names endpoint %r, which no request used", rule.name, rule.endpoint)
        if self.export:
            self._export(final=False)  # each test's figures, before a next test in the web UI starts afresh

    def on_quitting(self, environment, **_kwargs) -> None:
        self.final_snapshot = self.tick(time.time())
        if self.export:
            self._export(final=True)
        if self.settings.junit:
            try:
                verdict.write_junit(self.settings.junit, self.monitor, self.final_snapshot)
            except OSError as exc:
                OutputFailures.note(self.environment, "--junit", self.settings.junit, exc)
        code = verdict.exit_code(self.monitor)
        # 3 wins over 1 (failed requests, or lost pushes: verification.delivery sets 1 for those first).
        if code is not None and environment.process_exit_code in (None, 1):
            environment.process_exit_code = code

    def on_quit(self, **_kwargs) -> None:
        logger.info(verdict.closing_line(self.monitor))

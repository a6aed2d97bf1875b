"""Shared fixtures: the real reference server on a free loopback port, and real Locust runs.

* ``server``: one reference server for the whole session (tests use unique keys);
* ``start_server(*options)``: a fresh server with its own options, stopped after the test;
* ``key``: a key no other test uses;
* ``run_locust(user_classes, host, seconds, users, **settings)``: Locust in-process
  (``Environment`` + local runner, ctxload's hooks, the given ctxload settings);
* ``locust_command(*args)``: the ``locust`` command line for a subprocess in the project root.

Locust monkey-patches the standard library with gevent when imported; importing it here, first,
gives every test the same patched world.
"""

import socket
import subprocess
import sys
import uuid
from dataclasses import asdict
from pathlib import Path
from types import SimpleNamespace

import gevent
import locust  # noqa: F401  (monkey-patches with gevent on import, before the imports below use sockets)
import pytest
import requests
from locust.env import Environment
from locust.event import Events

import monitors
from common.settings import Settings
from hostile.report import HostileReport
from monitors.options import MonitorSettings
from refserver.launcher import ReferenceServer
from tests.helpers import free_port, wait_for
from traffic import hooks as traffic_hooks
from verification import hooks as verification_hooks

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def server():
    with ReferenceServer() as running:
        yield running


@pytest.fixture
def start_server(tmp_path):
    started: list[ReferenceServer] = []

    def start(*options: str, dump_dir: Path | None = None) -> ReferenceServer:
        running = ReferenceServer(*options, dump_dir=dump_dir or tmp_path / f"dumps{len(started)}")
        started.append(running)
        running.start()
        return running

    yield start
    for running in started:
        running.stop()


@pytest.fixture
def production_like(tmp_path):
    """``start(*options)``: the imitation of the production server (``benchmarks.production_imitation``: it
    broadcasts before it answers, closes every connection, writes dumps in place); its URL. Stopped after."""
    started: list[subprocess.Popen] = []

    def start(*options: str) -> str:
        command = [sys.executable, "-m", "benchmarks.production_imitation", "--dump-dir",
                   str(tmp_path / f"production-dumps{len(started)}"), *options]  # fmt: skip
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True)
        started.append(process)
        line = process.stdout.readline()
        assert line.startswith("ctxload target listening on "), line
        return line.split()[-1]

    yield start
    for process in started:
        process.terminate()
        process.wait(10)
        process.stdout.close()


@pytest.fixture
def slow_server(start_server):
    """A fresh reference server that answers every request 30 ms late (for latency alerts)."""
    return start_server("--inject-latency-ms", "30")


@pytest.fixture
def silent_host():
    """A loopback port that accepts connections, keeps them, and never says a word.

    Yields ``(url, accepted)``; ``accepted`` lists the connections made (a run that must send no
    traffic leaves it empty; one against a target that never answers times out on it).
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    accepted: list[socket.socket] = []

    def accept():
        while True:
            accepted.append(server.accept()[0])

    greenlet = gevent.spawn(accept)
    yield f"http://127.0.0.1:{server.getsockname()[1]}", accepted
    greenlet.kill()
    for connection in accepted:
        connection.close()
    server.close()


@pytest.fixture
def key():
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


MONITOR_FIELDS = set(asdict(MonitorSettings()))


def register_suite(events) -> None:
    """The hooks the locustfile registers, but the monitor's and the embedded server's."""
    traffic_hooks.register(events)
    verification_hooks.register(events)
    events.init.add_listener(HostileReport.register)


def make_options(**settings) -> SimpleNamespace:
    """Parsed options as Locust would give them: ctxload's settings plus the few Locust reads here."""
    monitor = {name: settings.pop(name) for name in list(settings) if name in MONITOR_FIELDS}
    return SimpleNamespace(
        **asdict(Settings(**settings)),
        **asdict(MonitorSettings(**monitor)),
        tags=None,
        exclude_tags=None,
        headless=True,
        num_users=None,
        spawn_rate=None,
        run_time=None,
        csv_prefix=None,
    )


@pytest.fixture
def run_locust():
    """Run user classes in-process for ``seconds`` with ctxload's hooks, then stop (the audit runs).

    ``monitored=True`` also registers the monitor first, as the locustfile does, and ends the run
    as Locust's main does: ``quitting`` (the verdict), then the runner's quit. Settings named like
    ``MonitorSettings`` fields go to the monitor (``monitors.hooks.run_monitor_for(environment)``).
    ``phases=[(users, seconds), ...]`` changes the user count during the run instead.
    """

    def run(
        user_classes: list,
        host: str,
        seconds: float = 3.0,
        users: int = 5,
        tags=None,
        monitored: bool = False,
        phases: list[tuple[int, float]] | None = None,
        **settings,
    ):
        parsed_options = make_options(**settings)
        parsed_options.tags = tags
        # stop_timeout lets each user finish its task at the end, as --stop-timeout does: no write is
        # cut off between the server applying it and the user hearing so.
        environment = Environment(
            user_classes=user_classes, host=host, events=Events(), parsed_options=parsed_options, stop_timeout=5
        )
        if monitored:
            monitors.register(environment.events)
        register_suite(environment.events)
        runner = environment.create_local_runner()
        environment.events.init.fire(environment=environment, runner=runner, web_ui=None)
        for count, length in phases or [(users, seconds)]:
            runner.start(count, spawn_rate=max(count, 100))
            gevent.sleep(length)
        if monitored:
            environment.events.quitting.fire(environment=environment, reverse=True)
        runner.quit()
        return environment

    return run


@pytest.fixture
def locust_command():
    def command(*args: str) -> list[str]:
        return [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "locustfile.py"), *args]

    return command


@pytest.fixture
def web_locust(locust_command, tmp_path):
    """Start ``locust`` with its web UI on a free loopback port and a thresholds file; SIGTERM after the test.

    ``web_locust(host, rules_toml, *args, locustfiles=())`` returns the UI's URL once it answers
    (with ``host`` None, the locustfile starts the embedded server);
    the run is the ``write`` users, the monitor samples every 0.2 s; the log is ``tmp_path/locustN.log``.
    """
    started: list[subprocess.Popen] = []

    def start(host: str | None, rules: str, *args: str, locustfiles: tuple[str, ...] = ()) -> str:
        thresholds = tmp_path / f"rules{len(started)}.toml"
        thresholds.write_text(rules)
        port = free_port()
        command = locust_command(
            *(("-f", ",".join(["locustfile.py", *locustfiles])) if locustfiles else ()),
            "--web-host", "127.0.0.1", "--web-port", str(port), *(("--host", host) if host else ()),
            "--thresholds", str(thresholds), "--monitor-interval", "0.2", "--tags", "write", *args,
        )  # fmt: skip
        with open(tmp_path / f"locust{len(started)}.log", "w") as log:
            started.append(subprocess.Popen(command, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT))
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), 30)
        return url

    yield start
    for process in started:
        process.terminate()
        process.wait(timeout=30)


def _answers(url: str) -> bool:
    try:
        return requests.get(url, timeout=2).status_code in (200, 302, 401)
    except requests.ConnectionError:
        return False

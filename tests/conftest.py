"""Shared fixtures: the real reference server on a free loopback port, and real Locust runs.

* ``server``: one reference server for the whole session (tests use unique keys);
* ``start_server(*options)``: a fresh server with its own options, stopped after the test;
* ``key``: a key no other test uses;
* ``run_locust(user_classes, host, seconds)``: Locust in-process (``Environment`` + local runner);
* ``locust_command(*args)``: the ``locust`` command line for a subprocess in the project root.

Locust monkey-patches the standard library with gevent when imported; importing it here, first,
gives every test the same patched world.
"""

import sys
import uuid
from pathlib import Path

import gevent
import locust  # noqa: F401  (monkey-patches with gevent on import, before the imports below use sockets)
import pytest
import requests
from locust.env import Environment

from target.launcher import ReferenceServer

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
def key():
    return f"test.{uuid.uuid4().hex[:12]}"


@pytest.fixture
def http():
    with requests.Session() as session:
        yield session


@pytest.fixture
def run_locust():
    def run(user_classes: list, host: str, seconds: float = 3.0, users: int = 5) -> Environment:
        environment = Environment(user_classes=user_classes, host=host)
        runner = environment.create_local_runner()
        runner.start(users, spawn_rate=users)
        gevent.sleep(seconds)
        runner.quit()
        return environment

    return run


@pytest.fixture
def locust_command():
    def command(*args: str) -> list[str]:
        return [sys.executable, "-m", "locust", "-f", str(PROJECT_ROOT / "locustfile.py"), *args]

    return command

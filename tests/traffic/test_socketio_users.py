"""Socket.IO sessions against the real reference server: rows, delivery accounting, session life."""

import signal
import socket
import subprocess
import sys
import time

import gevent
import requests
from locust import constant
from locust.env import Environment
from locust.event import Events

from refserver.cli import READY_PREFIX
from tests.conftest import PROJECT_ROOT, make_options, register_suite
from traffic.socketio_users import SocketIOSubscriber, SocketIOWriter
from traffic.writer import ContextWriter
from traffic.ws_session import SocketIOSession
from verification.delivery import expect_push, push_ledger_for


class FastWriter(ContextWriter):
    wait_time = constant(0.05)


class FastWsWriter(SocketIOWriter):
    wait_time = constant(0.05)


def row(environment, name):
    return environment.stats.get(name, "WS")


def open_sessions(environment, url, count) -> list[SocketIOSession]:
    ledger = push_ledger_for(environment)
    sessions = [SocketIOSession(environment, url, index, ledger, name=f"s{index}") for index in range(count)]
    assert all(session.connect() for session in sessions)
    return sessions


def http_writes(environment, url, key_prefix, count):
    for n in range(count):
        value = {"n": n}
        sent_at = time.time()
        response = requests.post(f"{url}/ctx", json={"key": f"{key_prefix}.{n}", "value": value})
        assert response.status_code == 200
        expect_push(environment, f"{key_prefix}.{n}", value, time.time(), sent_at=sent_at)


def settle(environment, seconds=6.0):
    """Wait past the push deadline, then settle the ledger as the sweeper would."""
    ledger = push_ledger_for(environment)
    deadline = time.monotonic() + seconds
    while ledger.pending_pushes() and time.monotonic() < deadline:
        gevent.sleep(0.05)
    gevent.sleep(0.2)
    return ledger


def test_rows_have_real_latencies(run_locust, server):
    environment = run_locust([SocketIOSubscriber, FastWsWriter, FastWriter], server.url, seconds=3, users=6)
    for name in ("WS connect", "WS register", "WS context_set", "WS push context_updated"):
        entry = row(environment, name)
        assert entry.num_requests > 0, name
        assert entry.total_response_time > 0 and entry.num_none_requests == 0, name  # no 0-ms or empty rows
    snapshot = row(environment, "WS snapshot")
    assert snapshot.num_requests > 0 and snapshot.total_content_length > 0 and snapshot.num_none_requests > 0
    assert environment.stats.total.num_failures == 0


def test_n_subscribers_times_m_writes_are_all_delivered(server, key):
    environment = Environment(events=Events(), parsed_options=make_options())
    sessions = open_sessions(environment, server.url, 4)
    try:
        http_writes(environment, server.url, key, 25)
        ledger = settle(environment)
        ledger.expire(time.time() + 60)
        assert ledger.counts.expected == 4 * 25
        assert ledger.counts.delivered == 4 * 25 and ledger.counts.lost == 0
        assert ledger.counts.duplicated == 0 and ledger.counts.out_of_order == 0
    finally:
        for session in sessions:
            session.close()


def test_socketio_writer_does_not_expect_its_own_push(server, key):
    environment = Environment(events=Events(), parsed_options=make_options())
    writer, listener = open_sessions(environment, server.url, 2)
    try:
        for n in range(10):
            assert writer.context_set(f"{key}.{n}", {"n": n}) is not None
            expect_push(
                environment,
                f"{key}.{n}",
                {"n": n},
                writer.last_confirmed_at,
                sender=writer.index,
                sent_at=writer.last_sent_at,
            )
        ledger = settle(environment)
        ledger.expire(time.time() + 60)
        assert (ledger.counts.expected, ledger.counts.delivered, ledger.counts.lost) == (10, 10, 0)
    finally:
        writer.close()
        listener.close()


def test_lost_pushes_equal_what_the_server_dropped(start_server, key):
    server = start_server("--drop-push-rate", "0.3", "--fault-seed", "4")
    environment = Environment(events=Events(), parsed_options=make_options(push_deadline=1.0))
    sessions = open_sessions(environment, server.url, 3)
    try:
        http_writes(environment, server.url, key, 30)
        gevent.sleep(1.5)
        ledger = push_ledger_for(environment)
        ledger.expire(time.time())
        dropped = requests.get(f"{server.url}/_faults").json()["dropped_pushes"]
        assert dropped > 0
        assert ledger.counts.lost == dropped and ledger.counts.delivered == 3 * 30 - dropped
    finally:
        for session in sessions:
            session.close()


def test_sessions_answer_pings_and_stay(start_server):
    server = start_server("--ping-interval", "1", "--ping-timeout", "1")  # a silent client is dropped after 2 s
    environment = Environment(events=Events(), parsed_options=make_options())
    reconnects = []
    environment.events.request.add_listener(
        lambda name, **_kw: reconnects.append(1) if name == "WS reconnect" else None
    )
    (session,) = open_sessions(environment, server.url, 1)
    try:
        gevent.sleep(4)
        assert session.connected and reconnects == []
    finally:
        session.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_target(port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-m", "refserver", "--port", str(port), "--dump-dir", "/tmp/ctxload-test"],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout.readline().startswith(READY_PREFIX)
    return process


def test_sessions_reconnect_after_the_server_is_killed_and_restarted(run_locust):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    first = start_target(port)
    environment = Environment(
        user_classes=[SocketIOSubscriber, FastWriter],
        host=url,
        events=Events(),
        parsed_options=make_options(),
        stop_timeout=5,
    )
    register_suite(environment.events)
    runner = environment.create_local_runner()
    environment.events.init.fire(environment=environment, runner=runner, web_ui=None)
    second = None
    try:
        runner.start(4, spawn_rate=4)
        gevent.sleep(2)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        gevent.sleep(1)
        second = start_target(port)
        deadline = time.monotonic() + 20
        while row(environment, "WS reconnect").num_requests < runner.user_classes_count["SocketIOSubscriber"]:
            assert time.monotonic() < deadline, "sessions did not reconnect"
            gevent.sleep(0.2)
        delivered_before = row(environment, "WS push context_updated").num_requests
        gevent.sleep(2)
        assert runner.user_count == 4  # the users lived through it
        assert row(environment, "WS push context_updated").num_requests > delivered_before  # and hear pushes again
    finally:
        runner.quit()
        for process in (first, second):
            if process is not None:
                process.kill()
                process.wait(10)
                process.stdout.close()

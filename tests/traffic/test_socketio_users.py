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
from verification.delivery import cancel_write, note_write, push_ledger_for


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
        noted = note_write(environment, f"{key_prefix}.{n}", value)  # before the send, as the users do
        response = requests.post(f"{url}/ctx", json={"key": f"{key_prefix}.{n}", "value": value})
        if response.status_code != 200:
            cancel_write(environment, noted)
        assert response.status_code == 200


def counts(ledger, *names):
    return tuple(ledger.figures.counts[name] for name in names)


def settle(environment, seconds=6.0):
    """Wait past the push deadline, then settle the ledger as the sweeper would."""
    ledger = push_ledger_for(environment)
    deadline = time.monotonic() + seconds
    while ledger.pending_pushes() and time.monotonic() < deadline:
        gevent.sleep(0.05)
    gevent.sleep(0.2)
    return ledger


def test_rows_have_real_latencies_and_receipts_are_not_requests(run_locust, server):
    environment = run_locust([SocketIOSubscriber, FastWsWriter, FastWriter], server.url, seconds=3, users=6)
    for name in ("WS connect", "WS register", "WS context_set"):
        entry = row(environment, name)
        assert entry.num_requests > 0, name
        assert entry.total_response_time > 0 and entry.num_none_requests == 0, name  # no 0-ms or empty rows
    connect = row(environment, "WS connect")
    assert connect.total_content_length > 0  # the snapshot's size: the connect is timed until it came
    assert {name for name, _type in environment.stats.entries} == {
        "WS connect",
        "WS register",
        "WS context_set",
        "POST /ctx",
        "POST /ctx (canary)",
        "GET /ctx (audit)",
    }  # fmt: skip  no row of pushes received, no "WS snapshot"
    assert environment.stats.total.num_failures == 0
    figures = push_ledger_for(environment).figures
    assert figures.counts["delivered"] > 0 and figures.counts["lost"] == 0
    assert 0 < figures.latency_ms(0.5) < 1000


def test_n_subscribers_times_m_writes_are_all_delivered(server, key):
    environment = Environment(events=Events(), parsed_options=make_options())
    sessions = open_sessions(environment, server.url, 4)
    try:
        http_writes(environment, server.url, key, 25)
        ledger = settle(environment)
        ledger.expire(time.perf_counter() + 60)
        assert counts(ledger, "expected", "delivered", "lost") == (4 * 25, 4 * 25, 0)
        assert counts(ledger, "duplicated", "out_of_order", "foreign") == (0, 0, 0)
        assert ledger.figures.counts["writes_complete"] == 25 and ledger.figures.reach_percent == 100.0
    finally:
        for session in sessions:
            session.close()


def test_socketio_writer_does_not_expect_its_own_push(server, key):
    environment = Environment(events=Events(), parsed_options=make_options())
    writer, listener = open_sessions(environment, server.url, 2)
    try:
        for n in range(10):
            noted = note_write(environment, f"{key}.{n}", {"n": n}, sender=writer.index)
            assert writer.context_set(f"{key}.{n}", {"n": n}) is not None, noted
        ledger = settle(environment)
        ledger.expire(time.perf_counter() + 60)
        assert counts(ledger, "expected", "delivered", "lost") == (10, 10, 0)
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
        ledger.expire(time.perf_counter())
        dropped = requests.get(f"{server.url}/_faults").json()["dropped_pushes"]
        assert dropped > 0
        assert counts(ledger, "lost", "delivered") == (dropped, 3 * 30 - dropped)
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
        delivered_before = push_ledger_for(environment).figures.counts["delivered"]
        gevent.sleep(2)
        assert runner.user_count == 4  # the users lived through it
        assert push_ledger_for(environment).figures.counts["delivered"] > delivered_before  # and hear pushes again
    finally:
        runner.quit()
        for process in (first, second):
            if process is not None:
                process.kill()
                process.wait(10)
                process.stdout.close()


def test_what_a_server_should_not_send_is_counted_apart_and_crashes_nothing():
    environment = Environment(events=Events(), parsed_options=make_options())
    ledger = push_ledger_for(environment)
    session = SocketIOSession(environment, "http://127.0.0.1:1", 0, ledger, name="s0")
    ledger.subscribe(0, at=time.perf_counter())
    now = time.perf_counter()
    for frame in (
        '42["context_updated",{"key":"never.written","value":1}]',  # a key this process never wrote
        '42["context_updated","not an object"]',
        '42["context_updated"]',
        '42["context_updated",{"key":"k"',  # cut short
        '42["unknown_event",{"x":1}]',
        "4not socket.io",
    ):
        session._handle(frame, now)
    ledger.unsubscribe(0)  # the session closed: a push it still gets is no delivery
    ledger.receive(0, "k", 1, now)
    assert counts(ledger, "foreign", "malformed", "delivered") == (2, 3, 0)
    assert ledger.figures.latency_ms(0.5) is None  # none of them is a latency sample

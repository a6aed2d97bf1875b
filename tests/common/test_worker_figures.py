"""Each worker's figures to the master, merged there: fake runners and fake messages, no processes.

The fake runners are Locust's own runner classes with a constructor that starts nothing, so the
helper sees a real ``MasterRunner`` or ``WorkerRunner``; messages are Locust ``Message`` objects.
"""

from dataclasses import asdict, dataclass

import gevent
from locust.env import Environment
from locust.event import Events
from locust.rpc import Message
from locust.runners import (
    STATE_MISSING,
    STATE_RUNNING,
    STATE_STOPPED,
    MasterRunner,
    WorkerNode,
    WorkerNodes,
    WorkerRunner,
)

from common.worker_figures import LOCAL, FiguresByProcess, WorkerFigures, collect_final_figures
from tests.conftest import make_options


@dataclass
class Counts:
    seen: int = 0
    lost: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(self.seen + other.seen, self.lost + other.lost)


class FakeWorker(WorkerRunner):
    greenlet = None  # nothing was started

    def __init__(self, environment):
        self.environment = environment
        self.sent: list[tuple[str, object]] = []

    def send_message(self, msg_type, data=None, client_id=None):
        self.sent.append((msg_type, data))


class FakeServer:
    def __init__(self):
        self.sent: list[tuple[str, str]] = []

    def send_to_client(self, message):
        self.sent.append((message.type, message.node_id))


class FakeMaster(MasterRunner):
    greenlet = None  # nothing was started

    def __init__(self, environment, workers: dict[str, str]):
        self.environment = environment
        self.custom_messages = {}
        self.server = FakeServer()
        self.clients = WorkerNodes()
        for worker_id, state in workers.items():
            self.clients[worker_id] = WorkerNode(worker_id, state=state)

    def deliver(self, msg_type: str, data, node_id: str) -> None:
        """What Locust's master does with a custom message from a worker."""
        listener, _concurrent = self.custom_messages[msg_type]
        listener(environment=self.environment, msg=Message(msg_type, data, node_id))


def environment_with(make_runner) -> Environment:
    environment = Environment(events=Events(), parsed_options=make_options(audit_timeout=1))
    environment.runner = make_runner(environment)
    return environment


def counts_channel(environment, final=True) -> WorkerFigures:
    return WorkerFigures(environment, "test_counts", encode=asdict, decode=lambda data: Counts(**data), final=final)


def test_figures_by_process_merge_and_name_the_silent_ones():
    figures = FiguresByProcess()
    figures.clear(seen={"w1", "w2", "w3"})
    figures.receive("w1", 3, now=10.0)
    figures.receive("w2", 4, now=11.0)
    figures.receive("w1", 5, now=12.0)  # the latest figures of a process replace its earlier ones
    assert figures.merged(0) == 9 and figures.by_process() == {"w1": 5, "w2": 4}
    assert figures.received_at("w1") == 12.0
    assert figures.missing() == {"w3"}
    assert figures.awaited({"w1", "w2", "w3", "w4"}) == {"w3", "w4"}
    figures.forget("w2")
    assert figures.merged(0) == 5


def test_a_worker_publishes_its_encoded_figures_to_the_master():
    environment = environment_with(FakeWorker)
    channel = counts_channel(environment)
    channel.publish(Counts(seen=7, lost=1))
    assert environment.runner.sent == [("test_counts", {"seen": 7, "lost": 1})]
    assert not channel.published  # a worker keeps nothing itself


def test_a_local_runner_keeps_its_figures_through_the_same_encoding():
    environment = Environment(events=Events(), parsed_options=make_options())
    environment.create_local_runner()
    channel = counts_channel(environment)
    channel.publish(Counts(seen=2))
    assert channel.by_process() == {LOCAL: Counts(seen=2)}
    assert channel.merged(Counts()) == Counts(seen=2) and channel.missing() == set()


def test_the_master_sums_its_workers_and_names_those_that_never_published():
    environment = environment_with(lambda env: FakeMaster(env, {"w1": STATE_RUNNING, "w2": STATE_RUNNING}))
    channel = counts_channel(environment)
    environment.events.test_start.fire()  # the workers live at the start take part
    environment.events.worker_report.fire(client_id="w3", data={})  # one joined later
    environment.runner.deliver("test_counts", {"seen": 5, "lost": 0}, "w1")
    environment.runner.deliver("test_counts", {"seen": 6, "lost": 2}, "w3")
    assert channel.merged(Counts()) == Counts(seen=11, lost=2)
    assert channel.missing() == {"w2"}
    environment.events.test_start.fire()  # a new test starts afresh
    assert not channel.published and channel.missing() == {"w1", "w2"}


def test_at_test_stop_the_master_stops_running_workers_waits_for_them_then_lets_them_quit():
    workers = {"w1": STATE_RUNNING, "w2": STATE_STOPPED, "gone": STATE_RUNNING}
    environment = environment_with(lambda env: FakeMaster(env, workers))
    channel = counts_channel(environment)
    environment.events.test_start.fire()
    runner = environment.runner
    runner.clients["gone"].state = STATE_MISSING  # it died during the test: no heartbeat

    def workers_answer():
        gevent.sleep(0.3)
        runner.deliver("test_counts", {"seen": 1, "lost": 0}, "w1")
        runner.deliver("test_counts", {"seen": 2, "lost": 0}, "w2")

    answering = gevent.spawn(workers_answer)
    collect_final_figures(environment, timeout=5)
    answering.join()
    assert runner.server.sent == [("stop", "w1"), ("quit", "w1")]  # not the stopped one, nor the missing one
    assert channel.merged(Counts()) == Counts(seen=3)
    assert channel.missing() == {"gone"}  # seen at the start, never published: the audit line names it


def test_the_master_waits_no_longer_than_its_timeout_for_a_silent_worker():
    environment = environment_with(lambda env: FakeMaster(env, {"w1": STATE_RUNNING}))
    counts_channel(environment)
    counts_channel_periodic = WorkerFigures(environment, "test_samples", final=False)
    environment.events.test_start.fire()
    with gevent.Timeout(30, AssertionError("the master kept waiting past its timeout")):
        collect_final_figures(environment, timeout=0.5)
    assert environment.runner.server.sent == [("stop", "w1"), ("quit", "w1")]
    assert not counts_channel_periodic.published  # periodic figures are never waited for


def test_the_master_collects_by_itself_when_a_test_stops():
    environment = environment_with(lambda env: FakeMaster(env, {"w1": STATE_STOPPED}))
    channel = counts_channel(environment)
    environment.events.test_start.fire()
    gevent.spawn_later(0.2, environment.runner.deliver, "test_counts", {"seen": 4, "lost": 0}, "w1")
    environment.events.test_stop.fire()  # returns once w1 has published (or after the timeout)
    assert channel.merged(Counts()) == Counts(seen=4)

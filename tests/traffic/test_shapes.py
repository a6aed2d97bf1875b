"""Load shapes: each one's tick() sequence, and how --shape installs it."""

import pytest
from locust.env import Environment
from locust.event import Events

from common.settings import Settings
from tests.conftest import make_options
from traffic import shapes


def ticks(shape, times):
    sequence = []
    for moment in times:
        shape.get_run_time = lambda moment=moment: moment
        sequence.append(shape.tick())
    return sequence


def test_ramp_reaches_users_over_ramp_time_then_stops_at_run_time():
    shape = shapes.RampShape(Settings(ramp_time=20), users=100, spawn_rate=1, run_time=60)
    assert ticks(shape, [0, 10, 59.9, 60]) == [(100, 5.0), (100, 5.0), (100, 5.0), None]


def test_step_adds_users_every_step_time_up_to_the_peak():
    shape = shapes.StepShape(Settings(step_users=10, step_time=30), users=35, spawn_rate=5, run_time=200)
    assert ticks(shape, [0, 29, 30, 61, 95, 150, 200]) == [
        (10, 5),
        (10, 5),
        (20, 5),
        (30, 5),
        (35, 5),
        (35, 5),
        None,
    ]


def test_spike_jumps_to_the_peak_and_back():
    shape = shapes.SpikeShape(
        Settings(spike_base=10, spike_at=30, spike_length=20), users=110, spawn_rate=2, run_time=100
    )
    assert ticks(shape, [0, 29, 30, 49, 50, 99, 100]) == [
        (10, 50.0),
        (10, 50.0),
        (110, 50.0),
        (110, 50.0),
        (10, 50.0),
        (10, 50.0),
        None,
    ]


def test_soak_holds_steady_and_without_run_time_never_ends():
    shape = shapes.SoakShape(Settings(), users=40, spawn_rate=4, run_time=None)
    assert ticks(shape, [0, 3600, 86400]) == [(40, 4), (40, 4), (40, 4)]


@pytest.mark.parametrize("name", ["ramp", "step", "spike", "soak"])
def test_install_puts_the_named_shape_in_charge(name):
    options = make_options(shape=name)
    options.num_users, options.spawn_rate, options.run_time = 20, 5, 30
    environment = Environment(events=Events(), parsed_options=options)
    runner = environment.create_local_runner()
    shapes.install(environment)
    assert isinstance(environment.shape_class, shapes.SHAPE_CLASSES[name])
    assert environment.shape_class.runner is runner and environment.shape_class.users == 20


def test_no_shape_leaves_users_and_spawn_rate_to_locust():
    environment = Environment(events=Events(), parsed_options=make_options())
    environment.create_local_runner()
    shapes.install(environment)
    assert environment.shape_class is None


def test_a_locustfile_shape_wins_over_the_option():
    own = shapes.SoakShape(Settings(), users=1, spawn_rate=1, run_time=None)
    environment = Environment(events=Events(), parsed_options=make_options(shape="ramp"), shape_class=own)
    environment.create_local_runner()
    shapes.install(environment)
    assert environment.shape_class is own


def test_shape_runs_a_real_test_and_stops_at_run_time(server, run_locust):
    """A ramp with a 2 s run time, in-process: the shape spawns users, then ends the test."""
    from locust import constant

    from traffic.writer import ContextWriter

    class Writer(ContextWriter):
        wait_time = constant(0.05)

    options = make_options(shape="ramp", ramp_time=1)
    options.num_users, options.spawn_rate, options.run_time = 4, 4, 2
    environment = Environment(user_classes=[Writer], host=server.url, events=Events(), parsed_options=options)
    runner = environment.create_local_runner()
    shapes.install(environment)
    runner.start_shape()
    runner.shape_greenlet.join(timeout=15)
    assert runner.shape_greenlet.dead
    assert environment.stats.get("POST /ctx", "POST").num_requests > 0

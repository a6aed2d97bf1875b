"""Load shapes, chosen with ``--shape``: ``ramp``, ``step``, ``spike`` or ``soak``.

Each shape reads Locust's common options: ``-u`` is the peak number of users, ``-r`` the spawn
rate, ``-t`` the end (without ``-t`` a shape runs until stopped, like Locust itself):

* ``ramp``: to ``-u`` users over ``--ramp-time``, then hold;
* ``step``: ``--step-users`` more users every ``--step-time`` (spawned at ``-r``) up to ``-u``, then hold;
* ``spike``: ``--spike-base`` users; at ``--spike-at`` jump to ``-u`` within about 2 s, hold for
  ``--spike-length``, then drop back to the base;
* ``soak``: ``-u`` users at ``-r``, held; ``traffic.soak`` logs a one-line summary every ``--summary-every``.

Register from the locustfile (the shape classes must not be imported there, or Locust would
pick one up by itself)::

    events.init.add_listener(shapes.install)

Each shape's schedule is ``at(seconds) -> (users, spawn_rate) | None``, a pure function of time.
"""

import logging
import math

from locust import LoadTestShape

from common.run import Run
from common.settings import Settings

logger = logging.getLogger(__name__)


class ConfiguredShape(LoadTestShape):
    abstract = True
    use_common_options = True

    def __init__(self, settings: Settings, users: int, spawn_rate: float, run_time: float | None):
        super().__init__()
        self.settings = settings
        self.users = users
        self.spawn_rate = spawn_rate
        self.run_time = run_time

    def tick(self):
        return self.at(self.get_run_time())

    def ended(self, seconds: float) -> bool:
        return self.run_time is not None and seconds >= self.run_time

    def at(self, seconds: float) -> tuple[int, float] | None:
        raise NotImplementedError


class RampShape(ConfiguredShape):
    def at(self, seconds):
        if self.ended(seconds):
            return None
        ramp_time = self.settings.ramp_time
        return self.users, (self.users / ramp_time if ramp_time else max(self.users, 1))


class StepShape(ConfiguredShape):
    def at(self, seconds):
        if self.ended(seconds):
            return None
        steps = math.floor(seconds / self.settings.step_time) + 1 if self.settings.step_time else math.inf
        return min(self.users, steps * self.settings.step_users), self.spawn_rate


class SpikeShape(ConfiguredShape):
    def at(self, seconds):
        if self.ended(seconds):
            return None
        base, peak = min(self.settings.spike_base, self.users), self.users
        fast = max(self.spawn_rate, (peak - base) / 2)
        spiking = self.settings.spike_at <= seconds < self.settings.spike_at + self.settings.spike_length
        return (peak if spiking else base), fast


class SoakShape(ConfiguredShape):
    def at(self, seconds):
        return None if self.ended(seconds) else (self.users, self.spawn_rate)


SHAPE_CLASSES = {"ramp": RampShape, "step": StepShape, "spike": SpikeShape, "soak": SoakShape}


def build(settings: Settings, parsed_options) -> ConfiguredShape | None:
    """The shape ``--shape`` names, or None for ``--shape none``."""
    if settings.shape == "none":
        return None
    users = getattr(parsed_options, "num_users", None) or 1
    spawn_rate = getattr(parsed_options, "spawn_rate", None) or 1.0
    run_time = getattr(parsed_options, "run_time", None) or None
    return SHAPE_CLASSES[settings.shape](settings, users, spawn_rate, run_time)


def install(environment, **_kwargs) -> None:
    """An ``init`` listener: put the ``--shape`` in charge of the user count (not on workers)."""
    run = Run.of(environment)
    if run.is_worker:
        return
    shape = build(run.settings, environment.parsed_options)
    if shape is None:
        return
    if environment.shape_class is not None:
        logger.warning("The locustfile defines its own load shape; --shape %s is ignored", shape.settings.shape)
        return
    shape.runner = environment.runner
    environment.shape_class = shape
    logger.info("Load shape: %s", shape.settings.shape)

"""Time a step of your own as a row of Locust's statistics: ``with self.timed("my step"):``.

For user classes that add a traffic shape with operations that are not one request (a sequence,
a computation, a call through another client)::

    class CheckoutUser(TimedSteps, FastHttpUser):
        @task
        def checkout(self):
            with self.timed("checkout") as step:       # row "STEP checkout"
                cart = self.client.get("/cart").json()
                self.client.post("/order", json=cart)
                step.length = len(cart)                 # optional: the row's "size"

The row's time is the block's, from entering it to leaving it (``time.perf_counter``, in ms). An
exception raised in the block fails the row with that exception (Locust's failure table shows its
type and message) and is raised again, so the task ends as it would have without the timing.
Locust's own control flow (``StopUser``, ``RescheduleTask``, ``InterruptTaskSet``) is not a failure
and makes no row. ``ContextUser`` (``traffic.base``) has this already.
"""

import time
from contextlib import contextmanager
from dataclasses import dataclass, field

from locust.exception import InterruptTaskSet, RescheduleTask, StopUser

CONTROL_FLOW = (StopUser, RescheduleTask, InterruptTaskSet)
STEP_TYPE = "STEP"


@dataclass
class Step:
    """What the block may add to its row."""

    length: int = 0
    context: dict = field(default_factory=dict)


class TimedSteps:
    """A mixin for any Locust ``User``: ``self.timed(name)``."""

    @contextmanager
    def timed(self, name: str, request_type: str = STEP_TYPE):
        step = Step()
        started_at, started = time.time(), time.perf_counter()
        try:
            yield step
        except CONTROL_FLOW:
            raise
        except Exception as exc:
            self._record_step(request_type, name, started_at, started, step, exc)
            raise
        self._record_step(request_type, name, started_at, started, step, None)

    def _record_step(self, request_type, name, started_at, started, step, exception) -> None:
        self.environment.events.request.fire(
            request_type=request_type,
            name=name,
            start_time=started_at,
            response_time=(time.perf_counter() - started) * 1000,
            response_length=step.length,
            exception=exception,
            context={**self.context(), **step.context},
            response=None,
        )

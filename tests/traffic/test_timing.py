"""``with self.timed("my step"):``: a step of a user's own as a row of Locust's statistics."""

from locust import User, constant, task
from locust.exception import StopUser

from traffic.timing import TimedSteps
from traffic.writer import ContextWriter


class Stepper(TimedSteps, User):
    wait_time = constant(0.05)

    @task
    def steps(self):
        with self.timed("fine step") as step:
            step.length = 42
        try:
            with self.timed("broken step"):
                raise ValueError("the cart was empty")
        except ValueError:
            self.environment.reraised = getattr(self.environment, "reraised", 0) + 1
        with self.timed("stopping step"):
            raise StopUser()


class TimedWriter(ContextWriter):
    wait_time = constant(0.05)

    @task
    def write_twice(self):
        with self.timed("two writes", request_type="CUSTOM"):
            self.write_own_key()
            self.write_own_key()


def test_a_step_is_a_row_its_failure_carries_the_exception_and_is_raised_again(run_locust, server):
    environment = run_locust([Stepper], server.url, seconds=1, users=2)
    fine = environment.stats.get("fine step", "STEP")
    broken = environment.stats.get("broken step", "STEP")
    assert fine.num_requests > 0 and fine.num_failures == 0 and fine.total_content_length == 42 * fine.num_requests
    assert broken.num_failures == broken.num_requests > 0
    assert environment.reraised == broken.num_requests  # each failure reached the task's own code
    messages = [error.to_name() for error in environment.stats.errors.values()]
    assert messages and all("broken step: ValueError('the cart was empty')" in message for message in messages)
    assert ("stopping step", "STEP") not in environment.stats.entries  # Locust's control flow is no failure


def test_a_context_user_times_a_sequence_of_requests(run_locust, server):
    environment = run_locust([TimedWriter], server.url, seconds=1, users=2)
    steps = environment.stats.get("two writes", "CUSTOM")
    writes = environment.stats.get("POST /ctx", "POST")
    assert steps.num_requests > 0 and steps.num_failures == 0
    assert writes.num_requests >= 2 * steps.num_requests

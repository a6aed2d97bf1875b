"""``HostileProbe``: sends the contract's bad inputs and reports, per case, the server's violations.

Off by default: it runs only when ``--tags`` names ``hostile`` (``traffic.selection`` leaves it out
otherwise), because it harms the production server on purpose (a numeric key breaks its
``/ctx/all`` until restart; a traversal filename writes outside its dump folder)::

    locust --headless --tags hostile -u 1 -t 30s --host http://127.0.0.1:8080

One probe per run (``fixed_count = 1``). Each round, every 2 s, it checks the server's health
(row ``HOSTILE health before cases``), then runs every case of ``hostile.cases`` once, each
followed by a health check: ``GET /ctx/all`` answers 200, and a write of the probe's own key
(``<prefix>.hostile.<worker>.health``) reads back. A case's row, ``HOSTILE <case name>``, fails
exactly when the case found a violation, with the reasons as the failure message:

* ``HTTP 500``, ``accepted with 200`` (with what that means, e.g. ``wrote outside the dump
  folder``), ``no answer (...)``: the answer to the bad input was not a 4xx;
* a Socket.IO case's own findings (``hostile.socketio_cases``);
* ``GET /ctx/all 500 afterwards`` (or the write or read-back failing): the server was healthy
  before the case and not after it. A server already unhealthy before a case is not held
  against that case; its answer still is.

The row's time is the case's own request or exchange (not the health check). The health
checks and the case requests go through a session of their own that makes no other rows.
``hostile.report`` logs the one-line summary when Locust quits.
"""

import random
import time

from locust import User, constant, tag, task
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook
from locust.exception import CatchResponseError

from common.run import Run
from hostile.cases import BASELINE, REASON_SEPARATOR, REQUEST_TYPE, HttpCase, build_cases, judge_http
from hostile.socketio_cases import run_action


class HostileProbe(User):
    fixed_count = 1
    wait_time = constant(2)
    opt_in_tag = "hostile"  # traffic.selection runs this user only when --tags names this tag

    def on_start(self):
        run = Run.of(self.environment)
        self.settings = run.settings
        worker = run.worker_index
        self.health_key = f"{self.settings.key_prefix}.hostile.{worker}.health"
        self.case_key = f"{self.settings.key_prefix}.hostile.{worker}.case"
        self.cases = build_cases(self.settings.key_prefix)
        self.rng = random.Random()
        # Its own requests must not make rows of their own: a session whose request event has no listener.
        self.http = FastHttpSession(
            self.host,
            request_event=EventHook(),
            user=None,
            network_timeout=self.settings.request_timeout,
            connection_timeout=self.settings.request_timeout,
        )

    def on_stop(self):
        self.http.client.close()

    @tag("hostile")
    @task
    def run_every_case(self):
        started = time.perf_counter()
        problem = self.health_problem()
        self.report(BASELINE, started, [problem] if problem else [])
        healthy = problem is None
        for case in self.cases:
            started = time.perf_counter()
            if isinstance(case, HttpCase):
                problems, length = self.send(case)
            else:
                problems = run_action(case.action, self.host, self.case_key, self.settings.ws_timeout)
                length = 0
            elapsed = time.perf_counter() - started
            problem = self.health_problem()
            if problem and healthy:
                problems.append(f"{problem} afterwards")
            healthy = problem is None
            self.report(case.name, started, problems, length, elapsed)

    def send(self, case: HttpCase) -> tuple[list[str], int]:
        headers = {"Content-Type": case.content_type} if case.content_type else {}
        response = self.http.request(case.method, case.path, data=case.body, headers=headers)
        problem = judge_http(case, response.status_code, getattr(response, "error", None))
        length = len(response.content or b"") if response.status_code else 0
        return ([problem] if problem else []), length

    def health_problem(self) -> str | None:
        """What is wrong with the server now (``GET /ctx/all 500``), or None when it is healthy."""
        response = self.http.get("/ctx/all")
        if response.status_code != 200:
            return f"GET /ctx/all {status_text(response)}"
        value = {"probe": "health", "nonce": f"{self.rng.getrandbits(64):016x}"}
        body = {"key": self.health_key, "value": value, "who": f"{self.settings.key_prefix}.hostile"}
        response = self.http.post("/ctx", json=body)
        if not 200 <= response.status_code < 300:
            return f"POST /ctx {status_text(response)}"
        response = self.http.get(f"/ctx?key={self.health_key}")
        if response.status_code != 200:
            return f"GET /ctx {status_text(response)}"
        try:
            read_back = response.json().get("value")
        except (ValueError, AttributeError):
            read_back = None
        return None if read_back == value else "GET /ctx read back another value"

    def report(self, name: str, started: float, problems: list[str], length: int = 0, elapsed: float | None = None):
        elapsed = time.perf_counter() - started if elapsed is None else elapsed
        self.environment.events.request.fire(
            request_type=REQUEST_TYPE,
            name=name,
            response_time=elapsed * 1000,
            response_length=length,
            # A CatchResponseError shows in Locust's failure table as its bare message.
            exception=CatchResponseError(REASON_SEPARATOR.join(problems)) if problems else None,
            context={},
        )


def status_text(response) -> str:
    if response.status_code:
        return str(response.status_code)
    error = getattr(response, "error", None)
    return f"no answer ({type(error).__name__ if error else 'connection failed'})"

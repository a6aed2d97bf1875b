"""One object per Locust run (per ``Environment``) that owns the run's state.

Every part keeps what it knows about a run here, instead of in module-level stores of its own::

    run = Run.of(environment)              # the same object for as long as the environment lives
    run.settings                           # ctxload's options (common.settings.Settings), validated
    run.options(MonitorSettings)           # another part's options, read the same way
    ledger = run.get(WriteLedger)          # one per run, made on first use (WriteLedger())
    run.put(WriteLedger())                 # replaced, e.g. afresh at each test start
    run.role                               # "local", "master" or "worker"; run.runs_users

Options are read again whenever their values change (the web UI's form sets them between tests),
and never more than that: ``run.settings`` costs a few attribute reads.
"""

import weakref
from collections.abc import Callable
from typing import ClassVar, TypeVar

from locust.runners import MasterRunner, WorkerRunner

from common.settings import Settings

T = TypeVar("T")
LOCAL, MASTER, WORKER = "local", "master", "worker"


class Run:
    _runs: ClassVar["weakref.WeakKeyDictionary[object, Run]"] = weakref.WeakKeyDictionary()

    def __init__(self, environment):
        self._environment = weakref.ref(environment)  # the environment owns its run, not the other way
        self._parts: dict[type, object] = {}
        self._options: dict[type, tuple[tuple, object]] = {}

    @classmethod
    def of(cls, environment) -> "Run":
        run = cls._runs.get(environment)
        if run is None:
            run = cls._runs[environment] = cls(environment)
        return run

    @property
    def environment(self):
        return self._environment()

    # -- who we are ---------------------------------------------------------------------------------
    @property
    def role(self) -> str:
        runner = self.environment.runner
        if isinstance(runner, MasterRunner):
            return MASTER
        return WORKER if isinstance(runner, WorkerRunner) else LOCAL

    @property
    def is_master(self) -> bool:
        return self.role == MASTER

    @property
    def is_worker(self) -> bool:
        return self.role == WORKER

    @property
    def runs_users(self) -> bool:
        """True where users run (a local runner or a worker), where the traffic's figures are made."""
        return self.role != MASTER

    @property
    def worker_index(self) -> int:
        return getattr(self.environment.runner, "worker_index", 0)

    # -- options ------------------------------------------------------------------------------------
    def options(self, kind: type[T]) -> T:
        """``kind.from_options(parsed_options)``, read again only when a value changed (ValueError: a bad one)."""
        parsed = self.environment.parsed_options
        raw = () if parsed is None else tuple(getattr(parsed, spec.name, None) for spec in kind.specs())
        cached = self._options.get(kind)
        if cached is None or cached[0] != raw:
            cached = self._options[kind] = (raw, kind.from_options(parsed))
        return cached[1]

    @property
    def settings(self) -> Settings:
        return self.options(Settings)

    # -- the parts' state ---------------------------------------------------------------------------
    def get(self, kind: type[T], make: Callable[[], T] | None = None) -> T:
        """The run's ``kind`` object, made by ``make()`` (or ``kind()``) the first time."""
        part = self._parts.get(kind)
        if part is None:
            part = self._parts[kind] = (make or kind)()
        return part

    def find(self, kind: type[T]) -> T | None:
        """The run's ``kind`` object, or None when none was made."""
        return self._parts.get(kind)

    def put(self, part: T) -> T:
        """Make ``part`` the run's object of its class (replacing any before)."""
        self._parts[type(part)] = part
        return part

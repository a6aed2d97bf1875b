"""Locust glue: the workers ``--processes`` forks end with their master, however it ends (even SIGKILL).

Register it from the locustfile (it must be imported before Locust forks, as a locustfile is)::

    events.init.add_listener(worker_leash.register)

Locust's forked workers notice a dead master only by its missing heartbeats, after about 60 s, and load
the target all that time. In a forked worker, Linux is asked to send SIGTERM when the parent dies
(``prctl(PR_SET_PDEATHSIG)``): Locust's own SIGTERM handler then stops the worker at once. Neither Locust
nor gevent offers this and psutil cannot arrange it, so the one call is made through ctypes. On other
systems nothing changes.
"""

import ctypes
import logging
import os
import signal
import sys

PR_SET_PDEATHSIG = 1
LAUNCHER_PID = os.getpid()  # the process that imported the locustfile: the one that forks the workers


def register(environment, **_kwargs) -> None:
    if os.getpid() == LAUNCHER_PID or not sys.platform.startswith("linux"):
        return  # not a forked child
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM) != 0:
        logging.getLogger(__name__).warning("ctxload: this worker cannot be tied to its master's life")
        return
    if os.getppid() != LAUNCHER_PID:  # the master died before the request took effect
        os.kill(os.getpid(), signal.SIGTERM)

"""Decide which user classes run: leave out opt-in users not asked for, and users ``--tags`` left without tasks.

Register from the locustfile (``traffic.hooks`` does)::

    events.init.add_listener(selection.drop_users_without_tasks)

Two rules, applied at init on the master or local process only (workers get their user counts
from the master):

* a user class with an ``opt_in_tag`` (``HostileProbe``: ``"hostile"``) runs only when ``--tags``
  names that tag: a plain ``locust`` never runs it;
* Locust keeps a user class whose every task ``--tags``/``--exclude-tags`` filtered away and lets
  it fail when spawned; with several traffic shapes in one locustfile, ``--tags dump`` should
  simply run the users that dump. So tasks are filtered here, as Locust would at test start
  (filtering is idempotent), and the users left with none are dropped.

The dropped classes leave ``environment.user_classes`` and the web UI's class picker. When none
is left, Locust ends at once with one line and exit code 2.
"""

import logging
import sys

from locust.user.task import filter_tasks_by_tags

from common.run import Run

logger = logging.getLogger(__name__)

KNOWN_TAGS = "read, write, dump, large, ws, hostile"


def _option(environment, name: str):
    value = getattr(environment, name)
    return value if value is not None else getattr(environment.parsed_options, name, None)


def drop_users_without_tasks(environment, **_kwargs) -> None:
    if Run.of(environment).is_worker:
        return
    tags = _option(environment, "tags")
    exclude = _option(environment, "exclude_tags")
    opt_in_missing = [
        user_class
        for user_class in environment.user_classes
        if getattr(user_class, "opt_in_tag", None) and user_class.opt_in_tag not in (tags or ())
    ]
    filtering = bool(tags or exclude)
    if filtering:
        for user_class in environment.user_classes:
            filter_tasks_by_tags(user_class, set(tags) if tags else None, set(exclude) if exclude else None)
    without_tasks = sorted(cls.__name__ for cls in environment.user_classes if filtering and not cls.tasks)
    keep = [cls for cls in environment.user_classes if cls.__name__ not in without_tasks and cls not in opt_in_missing]
    dropped = sorted(cls.__name__ for cls in environment.user_classes if cls not in keep)
    if not dropped:
        return
    if not keep:
        if tags:
            message = f"no user has a task tagged {' '.join(tags)!r} (tags: {KNOWN_TAGS})"
        else:
            wanted = ", ".join(
                f"{cls.__name__} runs only with --tags {cls.opt_in_tag}"
                for cls in opt_in_missing
                if cls.__name__ not in without_tasks
            )
            message = f"no user left to run: {wanted}" if wanted else f"no user has a task left (tags: {KNOWN_TAGS})"
        sys.stderr.write(f"locust: error: {message}\n")
        sys.exit(2)
    if without_tasks:
        logger.info("Not running users with no tasks left after tag filtering: %s", ", ".join(without_tasks))
    if opt_in_missing:
        logger.debug("Not running opt-in users: %s", ", ".join(cls.__name__ for cls in opt_in_missing))
    environment.user_classes[:] = keep
    if environment.available_user_classes:
        for name in dropped:
            environment.available_user_classes.pop(name, None)

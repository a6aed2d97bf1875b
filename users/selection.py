"""Leave out users whose every task is filtered away by ``--tags``/``--exclude-tags``.

Locust keeps such a user class and lets it fail when spawned; with several traffic shapes in
one locustfile, ``--tags dump`` should simply run the users that dump. Register from the
locustfile (``users.hooks`` does)::

    events.init.add_listener(selection.drop_users_without_tasks)

It filters the tasks at init, as Locust would at test start (filtering is idempotent), and drops
the users left with none, on the master or local process only: workers get their user counts
from the master.
"""

import logging
import sys

from locust.runners import WorkerRunner
from locust.user.task import filter_tasks_by_tags

logger = logging.getLogger(__name__)


def drop_users_without_tasks(environment, **_kwargs) -> None:
    if isinstance(environment.runner, WorkerRunner):
        return
    options = environment.parsed_options
    tags = environment.tags if environment.tags is not None else getattr(options, "tags", None)
    exclude = environment.exclude_tags
    if exclude is None:
        exclude = getattr(options, "exclude_tags", None)
    if not tags and not exclude:
        return
    for user_class in environment.user_classes:
        filter_tasks_by_tags(user_class, set(tags) if tags else None, set(exclude) if exclude else None)
    keep = [user_class for user_class in environment.user_classes if user_class.tasks]
    dropped = sorted(user_class.__name__ for user_class in environment.user_classes if not user_class.tasks)
    if not dropped:
        return
    if not keep:
        tags_text = " ".join(tags or []) or "-"
        sys.stderr.write(
            f"locust: error: no user has a task tagged {tags_text!r} (tags: read, write, dump, large, ws)\n"
        )
        sys.exit(2)
    logger.info("Not running users with no tasks left after tag filtering: %s", ", ".join(dropped))
    environment.user_classes[:] = keep
    if environment.available_user_classes:
        for name in dropped:
            environment.available_user_classes.pop(name, None)

"""ctxload's own command line and the Locust glue that composes the parts (beside ``locustfile.py``).

* ``python -m ctxload options``: every ctxload option, with its environment variable, default and
  help (``locust --help`` cannot list them: Locust reads the locustfile only after ``--help``);
* ``embedded_server``: starts the reference server when a run names no host.
"""

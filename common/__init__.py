"""What every part of a run shares, and nothing else: it imports no other package of ctxload.

* ``names``: the names the parts pass to each other (custom events, message types, stats rows);
* ``run``: one ``Run`` per Locust ``Environment``, owning that run's state;
* ``worker_figures``: each worker's figures sent to the master, merged there, reported once;
* ``options`` and ``durations``: options declared once (flag, type, default, help, environment
  variable, web UI field, documentation row), one duration syntax;
* ``settings``: the options of the traffic and its verification, which both read.
"""

"""Verification: what a run must prove, judged from what the traffic records into it.

* ``ledger`` (pure): every acknowledged write, and how to judge a read-back; ``audit``: the read-back
  at test stop, summed over workers (``Write audit: ...`` line, ``AUDIT lost writes`` row);
* ``push_ledger`` (pure): which sessions must hear each write; ``delivery``: its deadlines and its
  summary (``Push delivery: ...`` line, ``WS push context_updated`` row);
* ``target_watch``: the target's outages and restarts (a canary key);
* ``checks`` and ``values``: response checks, and the values the suite writes.

The traffic (``traffic/``) imports from here; nothing here imports the traffic or ``monitors/``.
Register with ``verification.hooks.register(events)``.
"""

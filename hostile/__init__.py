"""The hostile-input probe: the contract's bad inputs sent on purpose, and the server's violations.

* ``probe``: ``HostileProbe``, the Locust user (tag ``hostile``, never run by default);
* ``cases`` (pure): what each case sends and which answers are violations;
* ``socketio_cases``: the Socket.IO exchanges, each on a fresh session;
* ``report``: the one-line summary when Locust quits (``HostileReport.register``).
"""

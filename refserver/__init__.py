"""The reference Enhanced Context Server, and the launcher that runs it as a subprocess.

Run it: ``python -m refserver --host 127.0.0.1 --port 8080`` (``--help`` lists the options).
Start it from Python: ``with ReferenceServer() as server: server.url`` (``refserver.launcher``).
It imports none of the suite's other parts.
"""

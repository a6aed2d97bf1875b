"""Benchmarks of the suite and its reference server; not part of the test suite.

Run one with ``python -m benchmarks <name>`` (``python -m benchmarks --help`` lists them). Each
prints a table, then one machine-readable JSON line. They drive the other parts from outside,
as subprocesses, and send traffic only to 127.0.0.1.
"""

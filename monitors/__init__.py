"""Monitors: Locust event listeners for resource sampling, thresholds, alerts and exports.

Empty for now (see the project's issues). Monitors never import ``users/``: they learn what
users know from Locust events.
"""

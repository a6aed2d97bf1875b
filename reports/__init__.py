"""Reports: pandas turns Locust's CSV output into summaries, trends and regression verdicts.

Empty for now (see the project's issues). Reports read files only: they never import Locust
or any other part of ctxload.
"""

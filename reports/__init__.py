"""Reports: summaries, trends, baselines and regression verdicts from a Locust run's files.

Run it as ``python -m reports`` (see ``reports.cli``). It reads files only and never imports
Locust or the other parts of ctxload. Layout: ``load`` (Locust CSVs and the monitor export,
validated), ``series`` (steady-state series), ``statistics`` (warm-up, trends, comparisons: pure),
``summary``, ``trend``, ``compare``, ``baselines``, ``plots``, ``render`` (Markdown/HTML),
``progress``, ``cli``.
"""

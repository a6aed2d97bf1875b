"""Reports: summaries, trends, baselines and regression verdicts from a Locust run's files.

Run it as ``python -m reports`` (see ``reports.cli``). It reads files only and never imports
Locust or the other parts of ctxload. Layout: ``load`` (a whole run) with ``locust_csv`` (one
Locust CSV), ``monitor_export`` and ``input_checks`` (one-line errors); ``series`` (steady-state
series); ``statistics`` (the method's overview and block means), ``warmup``, ``trend_detection``,
``run_comparison`` and ``stat_tests`` (pure statistics); ``summary``, ``trend``, ``compare``,
``baselines``, ``plots``, ``render`` (Markdown/HTML), ``progress``, ``cli``.
"""

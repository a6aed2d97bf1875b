"""Reports: summaries, trends, baselines and regression verdicts from a Locust run's files.

Run it as ``python -m reports`` (see ``reports.cli``). It reads files only and never imports
Locust or the other parts of ctxload. Layout: ``load`` (a whole run) with ``locust_csv`` (one
Locust CSV), ``monitor_export`` and ``input_checks`` (one-line errors); ``series`` (steady-state
series) and ``intervals`` (exact per-interval figures from Locust's totals); pure statistics:
``statistics``, ``warmup``, ``trend_detection``, ``stat_tests``, ``estimates`` (a run's figures with
their errors), ``verdicts`` (against a run or a history), ``change_points``, ``comparability``;
``compare`` and ``compare_command``, ``baselines`` (histories of runs), ``baseline_meta``,
``baseline_figures``, ``history_view``, ``summary``, ``trend``, ``plots``, ``render``
(Markdown/HTML), ``progress``, ``cli``.
"""

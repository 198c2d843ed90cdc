"""Sentry events in the indexer: ECS fields (``ecs``), tracebacks the way each language prints them
(``traceback``) and Sentry-like grouping (``grouping``), run by the ``sentry`` pipeline step (``step``)."""

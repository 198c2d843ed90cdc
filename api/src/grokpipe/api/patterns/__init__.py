"""Patterns: every ``log.pattern.key`` in a pattern with a stable id, counted exactly (``/patterns``)."""

"""Scheduled multi-step HTTP checks with assertions, their results, alerts and reports."""

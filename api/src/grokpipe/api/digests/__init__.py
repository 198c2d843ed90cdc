"""Digests: scheduled summaries of the period's error groups, with the failing cron monitors and new patterns.

Their own unit because they compose the others: groups (the rows), patterns (new ones), monitors (a row type),
notifiers (the message); none of those imports digests.
"""

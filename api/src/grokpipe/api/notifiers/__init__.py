"""Notifiers configured once (``notifiers:`` in api.yml) and referenced by name from rules."""

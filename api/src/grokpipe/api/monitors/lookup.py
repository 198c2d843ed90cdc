"""One monitor as of now by its slug, saved or only checked in, or None (report rows, digests)."""

from __future__ import annotations

from grokpipe.api.errors import NotFound
from grokpipe.api.monitors.store import MonitorStore
from grokpipe.api.monitors.view import Monitor, MonitorView


class MonitorLookup:
    def __init__(self, view: MonitorView, store: MonitorStore) -> None:
        self.view = view
        self.store = store

    def __call__(self, slug: str) -> Monitor | None:
        try:
            saved = self.store.get(slug)
        except NotFound:
            saved = None
        try:
            return self.view.get(slug, saved)
        except NotFound:
            return None

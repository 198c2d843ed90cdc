"""Saved monitors (``grokpipe-monitors``): the generic document store, one document per slug."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from grokpipe.api.kernel.documents import DEFINITIONS_MAPPING, DocumentStore
from grokpipe.api.monitors.schemas import MonitorBody, SavedMonitor
from grokpipe.indices import create_index


class MonitorStore(DocumentStore[MonitorBody, SavedMonitor]):
    kind = "monitor"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, SavedMonitor)

    def ensure(self) -> None:
        create_index(self.es, self.index, DEFINITIONS_MAPPING)

    def every(self) -> list[SavedMonitor]:
        """All saved monitors, enabled or not (the listing of ``GET /monitors``)."""
        out: list[SavedMonitor] = []
        while True:
            page = self.search(offset=len(out), limit=500)
            out.extend(page.items)
            if not page.items or len(out) >= page.total:
                return out

"""Saved searches in ``grokpipe-searches``: one document each (name, query, range, columns)."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime

from elasticsearch import Elasticsearch

from grokpipe.api.errors import NotFound, search_failed
from grokpipe.api.search.schemas import SavedSearch, SavedSearchCreate
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound
from grokpipe.indices import create_index

MAPPINGS = {"dynamic": False, "properties": {"name": {"type": "keyword"}, "created": {"type": "date"}}}
#: saved searches listed at most (the page shows them in a menu)
LIST_LIMIT = 500
#: seconds a listing is reused, so a page view costs one search, not two (another replica's save shows after this)
LIST_TTL = 30.0


class SavedSearches:
    def __init__(self, es: Elasticsearch, index: str) -> None:
        self.es = es
        self.index = index
        self._ready = False
        self._listed: tuple[float, list[SavedSearch]] | None = None

    def _ensure(self) -> None:
        if not self._ready:
            try:
                create_index(self.es, self.index, MAPPINGS)
            except ElasticsearchError as exc:
                raise search_failed(f"creating index {self.index}", exc) from exc
            self._ready = True

    def create(self, body: SavedSearchCreate) -> SavedSearch:
        self._ensure()
        saved = SavedSearch(
            id=uuid.uuid4().hex[:12],
            created=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            **body.model_dump(),
        )
        try:
            with elasticsearch_errors(f"saving a search in {self.index}"):
                self.es.index(index=self.index, id=saved.id, document=saved.model_dump(mode="json"), refresh="wait_for")
        except ElasticsearchError as exc:
            raise search_failed(f"saving a search in {self.index}", exc) from exc
        self._listed = None
        return saved

    def list(self) -> list[SavedSearch]:
        cached = self._listed
        if cached is not None and time.monotonic() - cached[0] < LIST_TTL:
            return list(cached[1])
        self._ensure()
        try:
            with elasticsearch_errors(f"listing {self.index}"):
                resp = self.es.search(index=self.index, size=LIST_LIMIT, sort=[{"name": "asc"}])
        except ElasticsearchError as exc:
            raise search_failed(f"listing {self.index}", exc) from exc
        found = [SavedSearch.model_validate(hit["_source"]) for hit in resp["hits"]["hits"]]
        self._listed = (time.monotonic(), found)
        return list(found)

    def delete(self, search_id: str) -> None:
        try:
            with elasticsearch_errors(f"deleting a search from {self.index}"):
                self.es.delete(index=self.index, id=search_id, refresh="wait_for")
        except ElasticsearchNotFound:
            raise NotFound(f"no saved search {search_id}") from None
        except ElasticsearchError as exc:
            raise search_failed(f"deleting a search from {self.index}", exc) from exc
        finally:
            self._listed = None

"""The moment a sync has counted everything before: one document in the state index, read at the start of
a pass and saved at its end (error groups and patterns each keep one)."""

from __future__ import annotations

from datetime import datetime

from elasticsearch import Elasticsearch

from grokpipe.api.errors import search_failed
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound


class StoredWatermark:
    def __init__(self, es: Elasticsearch, index: str, doc_id: str, what: str, start: datetime) -> None:
        """``what`` names it in errors ("the pattern watermark"); ``start`` is its value before any save."""
        self._es, self._index, self._id, self._what, self._start = es, index, doc_id, what, start

    def read(self) -> datetime:
        try:
            with elasticsearch_errors(f"reading {self._what}"):
                src = self._es.get(index=self._index, id=self._id)["_source"]
        except ElasticsearchNotFound:
            return self._start
        except ElasticsearchError as exc:
            raise search_failed(f"reading {self._what}", exc) from exc
        value = src.get("watermark")
        return datetime.fromisoformat(value) if value else self._start

    def save(self, moment: datetime) -> None:
        try:
            with elasticsearch_errors(f"saving {self._what}"):
                self._es.index(index=self._index, id=self._id, document={"watermark": moment.isoformat()})
        except ElasticsearchError as exc:
            raise search_failed(f"saving {self._what}", exc) from exc

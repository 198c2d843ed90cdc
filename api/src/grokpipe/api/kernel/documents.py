"""One CRUD helper for saved definitions (rules, digests, checks, reports, monitors): one document each in its
index, writes guarded by ``if_seq_no``/``if_primary_term``. Elasticsearch failures reach callers as ``NotFound``,
``Conflict`` or ``SearchFailed`` (502, retriable when Elasticsearch was unavailable)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Generic, TypeVar

from elasticsearch import Elasticsearch
from pydantic import BaseModel

from grokpipe.api.errors import Conflict, NotFound, search_failed
from grokpipe.api.kernel.schemas import Page, Saved
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchError, ElasticsearchNotFound

Body = TypeVar("Body", bound=BaseModel)
Stored = TypeVar("Stored", bound=Saved)

_KEYWORD = {"type": "keyword"}
#: The mapping of a definitions index: only what the list filters on is indexed.
DEFINITIONS_MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {"name": _KEYWORD, "enabled": {"type": "boolean"}, "tags": _KEYWORD},
}


def _version(hit: dict[str, Any]) -> str:
    return f"{hit['_seq_no']}:{hit['_primary_term']}"


def parse_version(version: str) -> tuple[int, int]:
    try:
        seq, term = version.split(":")
        return int(seq), int(term)
    except ValueError:
        raise Conflict(f"malformed version {version!r}; expected '<seq_no>:<primary_term>'") from None


class DocumentStore(Generic[Body, Stored]):
    """CRUD of one kind of saved definition; ``stored`` is its model with id, version and timestamps."""

    kind = "document"

    def __init__(self, es: Elasticsearch, index: str, stored: type[Stored]) -> None:
        self.es = es
        self.index = index
        self.stored = stored

    def _encode(self, body: Body, current: Stored | None = None) -> dict[str, Any]:
        """The stored document of ``body``, replacing ``current`` (a subclass may seal parts of it)."""
        return body.model_dump(mode="json")

    def _load(self, source: dict[str, Any], doc_id: str, version: str) -> Stored:
        """The model of a stored document (a subclass may open what :meth:`_encode` sealed)."""
        return self.stored.model_validate(source | {"id": doc_id, "version": version})

    def _rule(self, hit: dict[str, Any]) -> Stored:
        return self._load(hit["_source"], hit["_id"], _version(hit))

    def create(self, body: Body, rule_id: str | None = None) -> Stored:
        now = datetime.now(UTC)
        doc = self._encode(body) | {"created": now.isoformat(), "updated": now.isoformat()}
        rid = rule_id or uuid.uuid4().hex
        try:
            with elasticsearch_errors(f"creating {self.kind} {rid}"):
                resp = self.es.index(index=self.index, id=rid, document=doc, op_type="create", refresh=True)
        except ElasticsearchConflict:
            raise Conflict(f"{self.kind} {rid} already exists") from None
        except ElasticsearchError as exc:
            raise search_failed(f"creating {self.kind} {rid}", exc) from exc
        return self._load(doc, rid, _version(dict(resp)))

    def get(self, rule_id: str) -> Stored:
        try:
            with elasticsearch_errors(f"reading {self.kind} {rule_id}"):
                resp = self.es.get(index=self.index, id=rule_id)
        except ElasticsearchNotFound:
            raise NotFound(f"{self.kind} {rule_id} not found") from None
        except ElasticsearchError as exc:
            raise search_failed(f"reading {self.kind} {rule_id}", exc) from exc
        return self._rule(dict(resp))

    def replace(self, current: Stored, body: Body, version: str | None = None) -> Stored:
        current_id = current.id
        seq, term = parse_version(version or current.version)
        doc = self._encode(body, current) | {
            "created": current.created.isoformat(),
            "updated": datetime.now(UTC).isoformat(),
        }
        try:
            with elasticsearch_errors(f"updating {self.kind} {current_id}"):
                resp = self.es.index(
                    index=self.index, id=current_id, document=doc, if_seq_no=seq, if_primary_term=term, refresh=True
                )
        except ElasticsearchConflict:
            raise Conflict(f"{self.kind} {current_id} was changed by someone else; reload it and retry") from None
        except ElasticsearchError as exc:
            raise search_failed(f"updating {self.kind} {current_id}", exc) from exc
        return self._load(doc, current_id, _version(dict(resp)))

    def delete(self, rule_id: str, version: str | None = None) -> None:
        kwargs: dict[str, Any] = {}
        if version:
            kwargs["if_seq_no"], kwargs["if_primary_term"] = parse_version(version)
        try:
            with elasticsearch_errors(f"deleting {self.kind} {rule_id}"):
                self.es.delete(index=self.index, id=rule_id, refresh=True, **kwargs)
        except ElasticsearchNotFound:
            raise NotFound(f"{self.kind} {rule_id} not found") from None
        except ElasticsearchConflict:
            raise Conflict(f"{self.kind} {rule_id} was changed by someone else") from None
        except ElasticsearchError as exc:
            raise search_failed(f"deleting {self.kind} {rule_id}", exc) from exc

    def search(
        self, *, offset: int = 0, limit: int = 50, enabled: bool | None = None, tag: str | None = None
    ) -> Page[Stored]:
        filters: list[dict[str, Any]] = []
        if enabled is not None:
            filters.append({"term": {"enabled": enabled}})
        if tag:
            filters.append({"term": {"tags": tag}})
        resp = self._listing(filters, offset, limit)
        hits = resp["hits"]["hits"]
        return Page[Stored](
            items=[self._rule(h) for h in hits], total=resp["hits"]["total"]["value"], offset=offset, limit=limit
        )

    def _listing(self, filters: list[dict[str, Any]], offset: int, limit: int) -> dict[str, Any]:
        """One page of stored documents by name, as Elasticsearch answers (with ``_seq_no``)."""
        try:
            with elasticsearch_errors(f"listing {self.kind}s"):
                return dict(
                    self.es.search(
                        index=self.index,
                        query={"bool": {"filter": filters}},
                        from_=offset,
                        size=limit,
                        seq_no_primary_term=True,
                        sort=[{"name": "asc"}],
                        track_total_hits=True,
                    )
                )
        except ElasticsearchError as exc:
            raise search_failed(f"listing {self.kind}s", exc) from exc

    def enabled(self) -> list[Stored]:
        rules: list[Stored] = []
        offset = 0
        while True:
            page = self.search(offset=offset, limit=500, enabled=True)
            rules.extend(page.items)
            offset += len(page.items)
            if not page.items or offset >= page.total:
                return rules

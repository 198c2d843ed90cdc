"""``grokpipe-error-groups``: one document per fingerprint, every write a compare-and-set. Elasticsearch
failures reach callers as ``NotFound``, ``Conflict`` or ``SearchFailed`` (502; retriable when it was away)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.errors import Conflict, NotFound, search_failed
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.kernel.versioned import write_versioned
from grokpipe.api.kernel.watermark import StoredWatermark
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchError, ElasticsearchNotFound
from grokpipe.indices import create_index

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "@timestamp": _DATE,  # = last_seen, for Kibana's time filter
        "title": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
        "type": _KEYWORD,
        "culprit": _KEYWORD,
        "level": _KEYWORD,
        "datasets": _KEYWORD,
        "hosts": _KEYWORD,
        "containers": _KEYWORD,
        "environments": _KEYWORD,
        "releases": _KEYWORD,
        "first_release": _KEYWORD,
        "last_release": _KEYWORD,
        "status": _KEYWORD,
        "first_seen": _DATE,
        "last_seen": _DATE,
        "resolved_at": _DATE,
        "regressed_at": _DATE,
        "ignore_until": _DATE,
        "created": _DATE,
        "count": {"type": "long"},
        "merged_into": _KEYWORD,
        "aliases": _KEYWORD,
        "pending": _KEYWORD,
        "owner": {"properties": {"name": _KEYWORD, "email": _KEYWORD}},
    },
}
SYNC_STATE_ID = "error-groups-watermark"  # not the lease document (api.groups.sync.LEASE_ID)


@dataclass(frozen=True)
class Versioned:
    group: ErrorGroup
    seq_no: int
    primary_term: int


class GroupStore:
    def __init__(self, es: Elasticsearch, index: str, state_index: str) -> None:
        self.es = es
        self.index = index
        self.state_index = state_index
        self._watermark = StoredWatermark(es, state_index, SYNC_STATE_ID, "the error-group watermark", EPOCH)

    def ensure(self) -> None:
        if not create_index(self.es, self.index, MAPPING):  # an index of an older api: add the new fields
            with elasticsearch_errors(f"adding fields to the mapping of {self.index}"):
                self.es.indices.put_mapping(index=self.index, properties=MAPPING["properties"])

    def refresh(self) -> None:
        try:
            with elasticsearch_errors(f"refreshing {self.index}"):
                self.es.indices.refresh(index=self.index)
        except ElasticsearchError as exc:
            raise search_failed(f"refreshing {self.index}", exc) from exc

    def _versioned(self, hit: dict[str, Any]) -> Versioned:
        group = ErrorGroup.model_validate(hit["_source"] | {"id": hit["_id"]})
        return Versioned(group, int(hit["_seq_no"]), int(hit["_primary_term"]))

    def get(self, group_id: str) -> Versioned:
        try:
            with elasticsearch_errors(f"reading error group {group_id}"):
                hit = dict(self.es.get(index=self.index, id=group_id))
        except ElasticsearchNotFound:
            raise NotFound(f"error group {group_id} not found") from None
        except ElasticsearchError as exc:
            raise search_failed("reading error group", exc) from exc
        return self._versioned(hit)

    def many(self, ids: list[str]) -> dict[str, Versioned]:
        if not ids:
            return {}
        try:
            with elasticsearch_errors(f"reading {len(ids)} error groups"):
                resp = self.es.mget(index=self.index, ids=ids)
        except ElasticsearchNotFound:  # no index yet
            return {}
        except ElasticsearchError as exc:
            raise search_failed("reading error groups", exc) from exc
        return {d["_id"]: self._versioned(d) for d in resp["docs"] if d.get("found")}

    def _body(self, group: ErrorGroup) -> dict[str, Any]:
        body = group.model_dump(mode="json", exclude={"id"})
        body["@timestamp"] = body["last_seen"]
        return body

    def create(self, group: ErrorGroup) -> Versioned | None:
        """None if another writer created it first."""
        try:
            with elasticsearch_errors(f"creating error group {group.id}"):
                resp = self.es.index(index=self.index, id=group.id, document=self._body(group), op_type="create")
        except ElasticsearchConflict:
            return None
        except ElasticsearchError as exc:
            raise search_failed("creating an error group", exc) from exc
        return Versioned(group, int(resp["_seq_no"]), int(resp["_primary_term"]))

    def write(self, current: Versioned, group: ErrorGroup) -> Versioned | None:
        """None if the document changed since ``current`` was read."""
        try:
            with elasticsearch_errors(f"writing error group {group.id}"):
                resp = self.es.index(
                    index=self.index,
                    id=group.id,
                    document=self._body(group),
                    if_seq_no=current.seq_no,
                    if_primary_term=current.primary_term,
                )
        except ElasticsearchConflict:
            return None
        except ElasticsearchError as exc:
            raise search_failed("writing an error group", exc) from exc
        return Versioned(group, int(resp["_seq_no"]), int(resp["_primary_term"]))

    def write_many(self, items: list[tuple[Versioned | None, ErrorGroup]], chunk: int = 500) -> list[Versioned | None]:
        """:meth:`create` or :meth:`write` for many groups in bulk requests; None where someone else won."""
        reads = [(None if c is None else (c.seq_no, c.primary_term), g.id, self._body(g)) for c, g in items]
        written = write_versioned(self.es, self.index, reads, "error group", chunk)
        return [None if v is None else Versioned(g, *v) for (_, g), v in zip(items, written, strict=True)]

    def update(self, group_id: str, change: Callable[[ErrorGroup], ErrorGroup], attempts: int = 10) -> ErrorGroup:
        """Read-modify-write until no one else wrote in between (the sync writes the same documents)."""
        for _ in range(attempts):
            current = self.get(group_id)
            written = self.write(current, change(current.group))
            if written is not None:
                self.refresh()
                return written.group
        raise Conflict(f"error group {group_id} keeps changing; retry")

    def search(self, body: dict[str, Any]) -> tuple[list[ErrorGroup], int]:
        try:
            with elasticsearch_errors("searching error groups"):
                resp = self.es.search(index=self.index, track_total_hits=True, **body)
        except ElasticsearchNotFound:
            return [], 0
        except ElasticsearchError as exc:
            raise search_failed("searching error groups", exc) from exc
        groups = [self._versioned(h | {"_seq_no": 0, "_primary_term": 0}).group for h in resp["hits"]["hits"]]
        return groups, int(resp["hits"]["total"]["value"])

    def watermark(self) -> datetime:
        """Events ingested before it are in the stored counts."""
        return self._watermark.read()

    def save_watermark(self, moment: datetime) -> None:
        self._watermark.save(moment)

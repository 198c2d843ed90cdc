"""``grokpipe-patterns``: one document per pattern, every write a compare-and-set (the versions and the
watermark as in :mod:`grokpipe.api.groups.store`). Elasticsearch failures reach callers as ``NotFound``
or ``SearchFailed``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.errors import NotFound, search_failed
from grokpipe.api.groups.schemas import EPOCH
from grokpipe.api.groups.stats import iso
from grokpipe.api.kernel.versioned import write_versioned
from grokpipe.api.kernel.watermark import StoredWatermark
from grokpipe.api.patterns.schemas import Pattern
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound
from grokpipe.indices import create_index

_KEYWORD = {"type": "keyword"}
_DATE = {"type": "date"}
MAPPING: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "@timestamp": _DATE,  # = last_seen, for Kibana's time filter
        "pattern_id": _KEYWORD,  # = the document's id, to page by (the embedded server cannot sort on _id)
        "template": {"type": "text", "fields": {"keyword": {"type": "keyword", "ignore_above": 1024}}},
        "length": {"type": "integer"},
        "keys": _KEYWORD,
        "levels": _KEYWORD,
        "datasets": _KEYWORD,
        "hosts": _KEYWORD,
        "first_seen": _DATE,
        "last_seen": _DATE,
        "created": _DATE,
        "updated": _DATE,
        "count": {"type": "long"},
    },
}
SYNC_STATE_ID = "patterns-watermark"  # not the lease document (api.patterns.sync.LEASE_ID)
CHUNK = 1000


class Versioned:
    __slots__ = ("pattern", "primary_term", "seq_no")

    def __init__(self, pattern: Pattern, seq_no: int, primary_term: int) -> None:
        self.pattern = pattern
        self.seq_no = seq_no
        self.primary_term = primary_term


class PatternStore:
    def __init__(self, es: Elasticsearch, index: str, state_index: str) -> None:
        self.es = es
        self.index = index
        self.state_index = state_index
        self._watermark = StoredWatermark(es, state_index, SYNC_STATE_ID, "the pattern watermark", EPOCH)

    def ensure(self) -> None:
        create_index(self.es, self.index, MAPPING)

    def refresh(self) -> None:
        try:
            with elasticsearch_errors(f"refreshing {self.index}"):
                self.es.indices.refresh(index=self.index)
        except ElasticsearchError as exc:
            raise search_failed(f"refreshing {self.index}", exc) from exc

    @staticmethod
    def _versioned(hit: dict[str, Any]) -> Versioned:
        pattern = Pattern.model_validate(hit["_source"] | {"id": hit["_id"]})
        return Versioned(pattern, int(hit.get("_seq_no", 0)), int(hit.get("_primary_term", 0)))

    def get(self, pattern_id: str) -> Pattern:
        try:
            with elasticsearch_errors(f"reading pattern {pattern_id}"):
                hit = dict(self.es.get(index=self.index, id=pattern_id))
        except ElasticsearchNotFound:
            raise NotFound(f"pattern {pattern_id} not found") from None
        except ElasticsearchError as exc:
            raise search_failed("reading a pattern", exc) from exc
        return self._versioned(hit).pattern

    def many(self, ids: list[str]) -> dict[str, Versioned]:
        out: dict[str, Versioned] = {}
        for i in range(0, len(ids), CHUNK):
            try:
                with elasticsearch_errors(f"reading {len(ids)} patterns"):
                    resp = self.es.mget(index=self.index, ids=ids[i : i + CHUNK])
            except ElasticsearchNotFound:  # no index yet
                return {}
            except ElasticsearchError as exc:
                raise search_failed("reading patterns", exc) from exc
            out |= {d["_id"]: self._versioned(d) for d in resp["docs"] if d.get("found")}
        return out

    def _search(self, body: dict[str, Any], what: str) -> dict[str, Any]:
        try:
            with elasticsearch_errors(what):
                return dict(self.es.search(index=self.index, **body))
        except ElasticsearchNotFound:
            return {"hits": {"hits": [], "total": {"value": 0}}}
        except ElasticsearchError as exc:
            raise search_failed(what, exc) from exc

    def owners(self, keys: list[str]) -> dict[str, str]:
        """The pattern id each of ``keys`` was merged into (keys in no pattern are left out)."""
        out: dict[str, str] = {}
        wanted = set(keys)
        for i in range(0, len(keys), CHUNK):
            part = keys[i : i + CHUNK]
            body = {"size": len(part), "query": {"terms": {"keys": part}}, "_source": ["keys"]}
            for hit in self._search(body, "looking keys up in patterns")["hits"]["hits"]:
                out |= {k: hit["_id"] for k in hit["_source"].get("keys", []) if k in wanted}
        return out

    def changed_since(self, moment: datetime | None, size: int = 5000) -> list[Pattern]:
        """Every pattern written at or after ``moment`` (all if None), oldest write first."""
        query: dict[str, Any] = {"match_all": {}} if moment is None else {"range": {"updated": {"gte": iso(moment)}}}
        out: list[Pattern] = []
        after: list[Any] | None = None
        while True:
            body: dict[str, Any] = {
                "size": size,
                "query": query,
                "sort": [{"updated": {"order": "asc"}}, {"pattern_id": {"order": "asc"}}],
                "_source": ["template", "length", "updated"],
            }
            if after is not None:
                body["search_after"] = after
            hits = self._search(body, "reading changed patterns")["hits"]["hits"]
            out.extend(self._versioned(h).pattern for h in hits)
            if len(hits) < size:
                return out
            after = hits[-1]["sort"]

    def count(self) -> int:
        try:
            with elasticsearch_errors("counting patterns"):
                return int(self.es.count(index=self.index)["count"])
        except ElasticsearchNotFound:
            return 0
        except ElasticsearchError as exc:
            raise search_failed("counting patterns", exc) from exc

    @staticmethod
    def _body(pattern: Pattern) -> dict[str, Any]:
        body = pattern.model_dump(mode="json", exclude={"id"})
        body["@timestamp"] = body["last_seen"]
        body["pattern_id"] = pattern.id
        return body

    def write_many(self, items: list[tuple[Versioned | None, Pattern]], chunk: int = 500) -> list[Versioned | None]:
        """Create (``None`` current) or overwrite (if unchanged since read) in bulk; None where someone else won."""
        reads = [(None if c is None else (c.seq_no, c.primary_term), p.id, self._body(p)) for c, p in items]
        written = write_versioned(self.es, self.index, reads, "pattern", chunk)
        return [None if v is None else Versioned(p, *v) for (_, p), v in zip(items, written, strict=True)]

    def search(self, body: dict[str, Any]) -> list[Pattern]:
        return [self._versioned(h).pattern for h in self._search(body, "searching patterns")["hits"]["hits"]]

    def watermark(self) -> datetime:
        """Events ingested before it are in the stored counts."""
        return self._watermark.read()

    def save_watermark(self, moment: datetime) -> None:
        self._watermark.save(moment)

"""``grokpipe-error-groups``: one document per fingerprint, every write a compare-and-set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from elasticsearch import BadRequestError, ConflictError, Elasticsearch, NotFoundError, TransportError

from grokpipe.api.errors import Conflict, NotFound, SearchFailed
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup

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

    def ensure(self) -> None:
        try:
            self.es.indices.create(index=self.index, mappings=MAPPING)
        except BadRequestError as exc:
            if "already_exists" not in str(exc.error):
                raise

    def refresh(self) -> None:
        self.es.indices.refresh(index=self.index)

    def _versioned(self, hit: dict[str, Any]) -> Versioned:
        group = ErrorGroup.model_validate(hit["_source"] | {"id": hit["_id"]})
        return Versioned(group, int(hit["_seq_no"]), int(hit["_primary_term"]))

    def get(self, group_id: str) -> Versioned:
        try:
            return self._versioned(dict(self.es.get(index=self.index, id=group_id)))
        except NotFoundError:
            raise NotFound(f"error group {group_id} not found") from None
        except TransportError as exc:
            raise SearchFailed(f"reading error group failed: {type(exc).__name__}") from None

    def many(self, ids: list[str]) -> dict[str, Versioned]:
        if not ids:
            return {}
        try:
            resp = self.es.mget(index=self.index, ids=ids)
        except NotFoundError:  # no index yet
            return {}
        return {d["_id"]: self._versioned(d) for d in resp["docs"] if d.get("found")}

    def _body(self, group: ErrorGroup) -> dict[str, Any]:
        body = group.model_dump(mode="json", exclude={"id"})
        body["@timestamp"] = body["last_seen"]
        return body

    def create(self, group: ErrorGroup) -> Versioned | None:
        """None if another writer created it first."""
        try:
            resp = self.es.index(index=self.index, id=group.id, document=self._body(group), op_type="create")
        except ConflictError:
            return None
        return Versioned(group, int(resp["_seq_no"]), int(resp["_primary_term"]))

    def write(self, current: Versioned, group: ErrorGroup) -> Versioned | None:
        """None if the document changed since ``current`` was read."""
        try:
            resp = self.es.index(
                index=self.index,
                id=group.id,
                document=self._body(group),
                if_seq_no=current.seq_no,
                if_primary_term=current.primary_term,
            )
        except ConflictError:
            return None
        return Versioned(group, int(resp["_seq_no"]), int(resp["_primary_term"]))

    def write_many(self, items: list[tuple[Versioned | None, ErrorGroup]], chunk: int = 500) -> list[Versioned | None]:
        """:meth:`create` or :meth:`write` for many groups in bulk requests; None where someone else won."""
        out: list[Versioned | None] = []
        for i in range(0, len(items), chunk):
            part = items[i : i + chunk]
            operations: list[dict[str, Any]] = []
            for current, group in part:
                meta: dict[str, Any] = {"_index": self.index, "_id": group.id}
                if current is None:
                    operations.append({"create": meta})
                else:
                    meta |= {"if_seq_no": current.seq_no, "if_primary_term": current.primary_term}
                    operations.append({"index": meta})
                operations.append(self._body(group))
            try:
                resp = self.es.bulk(operations=operations)
            except TransportError as exc:
                raise SearchFailed(f"writing error groups failed: {type(exc).__name__}") from None
            for (_, group), item in zip(part, resp["items"], strict=True):
                result = next(iter(item.values()))
                status = int(result.get("status", 500))
                if status in (200, 201):
                    out.append(Versioned(group, int(result["_seq_no"]), int(result["_primary_term"])))
                elif status == 409:
                    out.append(None)
                else:
                    raise SearchFailed(
                        f"writing error group {group.id} failed: HTTP {status}", error=result.get("error")
                    )
        return out

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
            resp = self.es.search(index=self.index, track_total_hits=True, **body)
        except NotFoundError:
            return [], 0
        except TransportError as exc:
            raise SearchFailed(f"searching error groups failed: {type(exc).__name__}") from None
        groups = [self._versioned(h | {"_seq_no": 0, "_primary_term": 0}).group for h in resp["hits"]["hits"]]
        return groups, int(resp["hits"]["total"]["value"])

    def watermark(self) -> datetime:
        """Events ingested before it are in the stored counts."""
        try:
            src = self.es.get(index=self.state_index, id=SYNC_STATE_ID)["_source"]
        except NotFoundError:
            return EPOCH
        value = src.get("watermark")
        return datetime.fromisoformat(value) if value else EPOCH

    def save_watermark(self, moment: datetime) -> None:
        self.es.index(index=self.state_index, id=SYNC_STATE_ID, document={"watermark": moment.isoformat()})

"""Compare-and-set writes of many documents in bulk requests: each one created if it is new, or overwritten
only if unchanged since it was read (``if_seq_no``/``if_primary_term``), as the stores that several api
replicas write (error groups, patterns) need. A document someone else wrote first answers None."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.errors import SearchFailed, search_failed
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

#: (seq_no, primary_term) of a document as read or written
Version = tuple[int, int]
_WRITTEN = (200, 201)
_LOST = 409


def write_versioned(
    es: Elasticsearch,
    index: str,
    items: Sequence[tuple[Version | None, str, dict[str, Any]]],
    what: str,
    chunk: int = 500,
) -> list[Version | None]:
    """Write each ``(version read or None, id, body)``; the new version of each, None where another writer
    won. Any other refusal raises :class:`SearchFailed` naming ``what`` and the document."""
    out: list[Version | None] = []
    for i in range(0, len(items), chunk):
        part = items[i : i + chunk]
        operations: list[dict[str, Any]] = []
        for current, doc_id, body in part:
            meta: dict[str, Any] = {"_index": index, "_id": doc_id}
            if current is None:
                operations.append({"create": meta})
            else:
                meta |= {"if_seq_no": current[0], "if_primary_term": current[1]}
                operations.append({"index": meta})
            operations.append(body)
        try:
            with elasticsearch_errors(f"writing {what}s"):
                resp = es.bulk(operations=operations)
        except ElasticsearchError as exc:
            raise search_failed(f"writing {what}s", exc) from exc
        for (_, doc_id, _), item in zip(part, resp["items"], strict=True):
            result = next(iter(item.values()))
            status = int(result.get("status", 500))
            if status in _WRITTEN:
                out.append((int(result["_seq_no"]), int(result["_primary_term"])))
            elif status == _LOST:
                out.append(None)
            else:
                raise SearchFailed(f"writing {what} {doc_id} failed: HTTP {status}", error=result.get("error"))
    return out

"""Writing a batch to Elasticsearch until every document is settled.

Settled means: indexed, already present (409), or stored in the dead-letter index. Whole-request
failures (connection refused, timeouts, 429, 5xx) and per-item 429/5xx are retried with capped,
jittered backoff for as long as it takes; the caller commits Kafka offsets only after
:meth:`BulkWriter.write` returned True.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import Any

import orjson
from elasticsearch import Elasticsearch

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.envelope import format_timestamp
from grokpipe.errors import ElasticsearchError
from grokpipe.indexer.config import RetrySettings
from grokpipe.indexer.documents import Document, restamp
from grokpipe.indexer.metrics import IndexerMetrics
from grokpipe.indexer.retry import backoff, classify
from grokpipe.indexer.template import DEADLETTER_INDEX

log = logging.getLogger(__name__)


class BulkWriter:
    def __init__(self, es: Elasticsearch, retry: RetrySettings, metrics: IndexerMetrics, stop: threading.Event) -> None:
        self._es = es
        self._retry = retry
        self._metrics = metrics
        self._stop = stop

    def write(self, docs: list[Document]) -> bool:
        """True once every document is settled; False only if asked to stop first."""
        pending = [_create(d) for d in docs]
        attempt = 0
        while pending:
            items = self._send(pending)
            if items is None:  # the whole request failed; try again
                if not self._wait(attempt):
                    return False
                attempt += 1
                continue
            outcome = classify(items)
            self._metrics.events_out.inc(sum(1 for i in outcome.settled if pending[i][2] is not None))
            self._metrics.duplicates.inc(outcome.duplicates)
            retry = [pending[i] for i in outcome.retry]
            for index, status, error in outcome.dead:
                _, _, doc = pending[index]
                if doc is None:  # a dead-letter write itself was refused: nothing further to do but log
                    log.error(
                        "dead-letter index refused a document",
                        extra={"status": status, "error.type": error.get("type")},
                    )
                    continue
                retry.append(_dead_letter(doc, status, error))
                self._metrics.dead_letters.inc()
                log.warning(
                    "document rejected; stored in the dead-letter index",
                    extra={"event.id": doc.id, "index": doc.index, "status": status, "error.type": error.get("type")},
                )
            if outcome.retry:
                self._metrics.retries.inc(len(outcome.retry))
                if not self._wait(attempt):
                    return False
                attempt += 1
            pending = retry
        return True

    def _send(
        self, pending: list[tuple[dict[str, Any], dict[str, Any], Document | None]]
    ) -> list[dict[str, Any]] | None:
        body = _ndjson(pending, _stamp_ingested(pending))
        started = time.monotonic()
        try:
            # The client sends pre-encoded ndjson bytes as they are; its annotation only names mappings.
            with elasticsearch_errors("bulk request"):
                response = self._es.bulk(
                    operations=body,  # type: ignore[arg-type]
                    filter_path="errors,items.*.status,items.*.error",
                )
        except ElasticsearchError as exc:
            if not exc.retriable:  # refused as a whole (auth, a bad body): sending it again fails again
                raise
            self._unavailable(exc)
            return None
        finally:
            self._metrics.bulk_seconds.observe(time.monotonic() - started)
        items: list[dict[str, Any]] = response.get("items", [])
        if len(items) != len(pending):
            log.error("bulk response has %d items for %d documents", len(items), len(pending))
            return None
        return items

    def _unavailable(self, exc: Exception) -> None:
        self._metrics.retries.inc()
        log.warning(
            "Elasticsearch unavailable, retrying",
            extra={"error.type": type(exc).__name__, "error.message": str(exc)[:200]},
        )

    def _wait(self, attempt: int) -> bool:
        return not self._stop.wait(backoff(attempt, self._retry.initial, self._retry.max))


def _stamp_ingested(pending: list[tuple[dict[str, Any], dict[str, Any], Document | None]]) -> str:
    """``event.ingested`` = when this attempt is sent: a document becomes searchable within one bulk
    request and a refresh of it, however long Elasticsearch was away, which is what lets the api
    count error groups by ingestion slices (api/groups/sync.py). Encoded documents (from parse
    workers) get the returned stamp in :func:`_ndjson`."""
    now = format_timestamp(datetime.now(UTC))
    for _, source, doc in pending:
        meta = source.get("event")
        if doc is not None and doc.encoded is None and isinstance(meta, dict):
            meta["ingested"] = now
    return now


def _ndjson(pending: list[tuple[dict[str, Any], dict[str, Any], Document | None]], stamp: str) -> bytes:
    """The bulk body, encoded with orjson: the client's stdlib encoder holds the GIL twice as long,
    time taken from grok on the consumer thread. A document a parse worker encoded is only
    restamped (``event.ingested`` = ``stamp``)."""
    lines: list[bytes] = []
    stamped = stamp.encode()
    for op, source, doc in pending:
        lines.append(orjson.dumps(op))
        if doc is not None and doc.encoded is not None:
            lines.append(restamp(doc.encoded, stamped))
        else:
            lines.append(orjson.dumps(source, default=str, option=orjson.OPT_NON_STR_KEYS))
    lines.append(b"")
    return b"\n".join(lines)


def _create(doc: Document) -> tuple[dict[str, Any], dict[str, Any], Document | None]:
    return {"create": {"_index": doc.index, "_id": doc.id}}, doc.source, doc


def _dead_letter(
    doc: Document, status: int, error: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any], Document | None]:
    source = {
        "@timestamp": format_timestamp(datetime.now(UTC)),
        "event": {
            "id": doc.id,
            "original": doc.raw.decode("utf-8", errors="replace"),
            "dataset": doc.source.get("event", {}).get("dataset"),
        },
        "error": {"type": error.get("type"), "reason": error.get("reason"), "status": status},
        "target_index": doc.index,
    }
    return {"create": {"_index": DEADLETTER_INDEX, "_id": doc.id}}, source, None

"""The alert history (``grokpipe-alerts``): one document per fired, recovered, new or regressed alert and
per digest or report sent, in one shape, so ``/alerts``, the console and Kibana read them alike.

A history document records a notification that has already gone out, so writing it must never fail
the run that sent it: that run still has to store its throttle state, or the next tick notifies
again. An Elasticsearch outage keeps the document in a bounded in-memory backlog, written (oldest
first) before the next one; a document Elasticsearch refuses (4xx) is logged and dropped, since it
would be refused again. Each document has its own id and is written with ``op_type=create``, so a
write retried after a timeout that had in fact succeeded is not stored twice.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal, cast

from elasticsearch import Elasticsearch

from grokpipe.api import metrics
from grokpipe.api.responses import AlertRecord
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchRejected, ElasticsearchUnavailable

log = logging.getLogger(__name__)

Source = Literal["rule", "error-groups", "digest", "check", "report", "monitor"]

#: Documents kept through an outage; past it the oldest are dropped (and logged).
BACKLOG = 10_000


class History:
    def __init__(self, es: Elasticsearch, index: str, clock: Callable[[], datetime], *, backlog: int = BACKLOG) -> None:
        self.es = es
        self.index = index
        self.clock = clock
        self._backlog: deque[tuple[str, dict[str, Any], bool]] = deque()
        self._limit = backlog
        self._lock = threading.Lock()

    @property
    def pending(self) -> int:
        """Documents not yet written because Elasticsearch was unavailable."""
        return len(self._backlog)

    def record(
        self,
        source: Source,
        kind: str,
        *,
        rule: Mapping[str, Any],
        tick: datetime,
        count: int,
        notified: bool,
        notifications: Mapping[str, Any],
        group_key: str | None = None,
        refresh: bool = True,
        **fields: Any,
    ) -> AlertRecord:
        """Index one document; ``refresh`` makes it visible to the next read at once (rules, which may run
        a thousand a minute, leave that to the periodic refresh). Never raises for Elasticsearch."""
        doc: dict[str, Any] = {
            "@timestamp": self.clock().isoformat(),
            "tick": tick.isoformat(),
            "rule": {"id": rule.get("id"), "name": rule.get("name")},
            "kind": kind,
            "group_key": group_key,
            "count": count,
            **fields,
            "notified": notified,
            "notifications": dict(notifications),
        }
        self._write(uuid.uuid4().hex, doc, refresh)
        metrics.ALERTS.labels(source=source, kind=kind).inc()
        return cast(AlertRecord, doc)  # the common fields plus the source's own

    def refresh(self) -> None:
        """Make what was written visible to the next read at once (a run asked for by hand, whose caller
        reads ``/alerts`` next); an outage leaves it to the periodic refresh."""
        try:
            with elasticsearch_errors(f"refreshing {self.index}"):
                self.es.indices.refresh(index=self.index)
        except ElasticsearchUnavailable as exc:
            log.warning("alert history not refreshed", extra={"index": self.index, "error.message": str(exc)})

    def flush(self) -> bool:
        """Write what an outage left behind, oldest first; True once nothing is left."""
        written = 0
        with self._lock:
            while self._backlog:
                doc_id, doc, refresh = self._backlog[0]
                try:
                    self._index(doc_id, doc, refresh)
                except ElasticsearchUnavailable:
                    break
                except ElasticsearchRejected as exc:
                    self._dropped(doc, exc)
                self._backlog.popleft()
                written += 1
            left = len(self._backlog)
        if written:
            log.info("alert history written after an outage", extra={"index": self.index, "written": written})
        return left == 0

    def _write(self, doc_id: str, doc: dict[str, Any], refresh: bool) -> None:
        if self._backlog and not self.flush():  # still unavailable: queue behind the older ones
            self._keep(doc_id, doc, refresh, None)
            return
        try:
            self._index(doc_id, doc, refresh)
        except ElasticsearchUnavailable as exc:
            self._keep(doc_id, doc, refresh, exc)
        except ElasticsearchRejected as exc:
            self._dropped(doc, exc)

    def _index(self, doc_id: str, doc: dict[str, Any], refresh: bool) -> None:
        try:
            with elasticsearch_errors(f"writing alert history to {self.index}"):
                self.es.index(index=self.index, id=doc_id, document=doc, op_type="create", refresh=refresh)
        except ElasticsearchConflict:
            pass  # an earlier try that timed out had written it

    def _keep(self, doc_id: str, doc: dict[str, Any], refresh: bool, exc: ElasticsearchUnavailable | None) -> None:
        with self._lock:
            if len(self._backlog) >= self._limit:
                _, lost, _ = self._backlog.popleft()
                log.error(
                    "alert history backlog full; oldest document dropped",
                    extra={"index": self.index, "rule.id": lost["rule"]["id"], "kind": lost["kind"]},
                )
            self._backlog.append((doc_id, doc, refresh))
        if exc is not None:
            log.warning(
                "alert history not written; kept until Elasticsearch is back",
                extra={"index": self.index, "error.message": str(exc), "pending": len(self._backlog)},
            )

    def _dropped(self, doc: dict[str, Any], exc: ElasticsearchRejected) -> None:
        log.error(
            "Elasticsearch refused an alert history document; dropped",
            extra={"index": self.index, "rule.id": doc["rule"]["id"], "kind": doc["kind"], "error.message": str(exc)},
        )

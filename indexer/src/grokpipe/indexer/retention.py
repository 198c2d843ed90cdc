"""Retention for the embedded default: keep ``logs-*-<namespace>`` inside what the server holds.

The embedded server (noida-db) keeps every document in memory and scans on every search: its memory
grows ~19 MiB per 1,000 events and a console search (a term filter plus a terms aggregation) took
2.5 s at 20,000 events and 7.8 s at 50,000 where it was measured (docs/capacity.md). So where
``grokpipe up`` runs it, the indexer deletes, every ``interval`` seconds:

* events indexed more than ``max_age_days`` ago;
* the earliest indexed events past ``max_events``, down to ``trim_ratio`` of it (one delete per 10,000
  events, as a search pages at most that far), so that it does not trim on every pass.

Age is ``event.ingested`` (when the indexer wrote the event), not ``@timestamp`` (when it happened): a
file of last month's logs shipped today is kept like today's, as an index lifecycle keeps an index by
when it was written.

Past ``warn_ratio`` of ``max_events`` it logs a warning and ``/healthz`` says ``degraded``: the store
is near its ceiling and older events are about to go. A production cluster keeps its indices by its
ILM policy: retention is off unless ``retention.enabled`` is set (``grokpipe up`` sets it).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from elasticsearch import Elasticsearch
from pydantic import Field, model_validator

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError
from grokpipe.settings import Section

#: When the indexer wrote an event: what retention ages and trims by.
INGESTED = "event.ingested"

log = logging.getLogger(__name__)

#: How far a search may page (Elasticsearch's index.max_result_window): one delete per this many.
PAGE = 10_000


class RetentionSettings(Section):
    enabled: bool = Field(default=False, description="on for the embedded default only (grokpipe up)")
    max_events: int = Field(default=20_000, ge=100, description="events kept in logs-*-<namespace>")
    max_age_days: float = Field(default=7.0, gt=0, description="events older than this are deleted")
    interval: float = Field(default=60.0, gt=0, description="seconds between passes")
    warn_ratio: float = Field(default=0.8, gt=0, le=1, description="past this share of max_events: degraded")
    trim_ratio: float = Field(default=0.7, gt=0, le=1, description="a trim keeps this share of max_events")

    @model_validator(mode="after")
    def _ratios(self) -> RetentionSettings:
        if self.trim_ratio >= self.warn_ratio:
            raise ValueError("trim_ratio must be below warn_ratio (a trim must end the warning)")
        return self


@dataclass(frozen=True, slots=True)
class Plan:
    """What one pass does with ``count`` events: delete ``trim`` of the oldest, and whether to warn."""

    trim: int
    warn: bool


def plan(count: int, settings: RetentionSettings) -> Plan:
    """The pure decision: trim past ``max_events`` down to ``trim_ratio`` of it; warn past ``warn_ratio``
    (counted after the trim)."""
    trim = count - int(settings.max_events * settings.trim_ratio) if count > settings.max_events else 0
    return Plan(trim, count - trim >= settings.max_events * settings.warn_ratio)


class Retention:
    """A thread running :func:`plan` every ``interval`` against ``logs-*-<namespace>``."""

    def __init__(self, es: Elasticsearch, settings: RetentionSettings, namespace: str) -> None:
        self._es = es
        self._settings = settings
        self._index = f"logs-*-{namespace}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="retention", daemon=True)
        self.count = 0
        self.deleted = 0
        self.warn = False
        self.error: str | None = None

    def start(self) -> None:
        self._thread.start()
        log.info(
            "retention on",
            extra={
                "index": self._index,
                "max_events": self._settings.max_events,
                "max_age_days": self._settings.max_age_days,
            },
        )

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def health(self) -> dict[str, Any]:
        return {
            "events": self.count,
            "max_events": self._settings.max_events,
            "deleted": self.deleted,
            "near_limit": self.warn,
            "error": self.error,
        }

    def _loop(self) -> None:
        wait = min(5.0, self._settings.interval)  # the first pass soon after start
        while not self._stop.wait(wait):
            wait = self._settings.interval
            try:
                self.run_once()
                self.error = None
            except ElasticsearchError as exc:
                self.error = str(exc)
                log.warning("retention pass failed, trying again later", extra={"error.message": str(exc)})

    def run_once(self) -> Plan:
        """One pass: delete by age, then by count; returns what it decided."""
        settings = self._settings
        with elasticsearch_errors("retention"):
            aged = self._delete({"range": {INGESTED: {"lt": f"now-{int(settings.max_age_days * 86400)}s"}}})
            count = self._count()
            decided = plan(count, settings)
            trimmed = 0
            while trimmed < decided.trim:
                cutoff = self._oldest(min(decided.trim - trimmed, PAGE))
                if cutoff is None:
                    break
                deleted = self._delete({"range": {INGESTED: {"lte": cutoff}}})
                if not deleted:
                    break
                trimmed += deleted
            self.count = count - trimmed
        self.deleted += aged + trimmed
        if aged or trimmed:
            log.info("retention deleted old events", extra={"by_age": aged, "by_count": trimmed, "kept": self.count})
        if decided.warn and not self.warn:
            log.warning(
                "the embedded store is near its limit: older events will be deleted (docs/capacity.md)",
                extra={"events": self.count, "max_events": settings.max_events},
            )
        self.warn = decided.warn
        return decided

    def _count(self) -> int:
        result = self._es.count(index=self._index, ignore_unavailable=True, allow_no_indices=True)
        return int(result["count"])

    def _oldest(self, n: int) -> Any:
        """The ``event.ingested`` of the ``n``-th earliest indexed event (sorted by the server), or None."""
        result = self._es.search(
            index=self._index,
            size=1,
            from_=n - 1,
            sort=[{INGESTED: "asc"}],
            source=False,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        hits = result["hits"]["hits"]
        return hits[0]["sort"][0] if hits else None

    def _delete(self, query: dict[str, Any]) -> int:
        result = self._es.delete_by_query(
            index=self._index,
            query=query,
            conflicts="proceed",
            refresh=True,
            ignore_unavailable=True,
            allow_no_indices=True,
        )
        return int(result.get("deleted", 0))

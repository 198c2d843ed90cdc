"""The alert history (``grokpipe-alerts``): one document per fired, recovered, new or regressed alert and
per digest or report sent, in one shape, so ``/alerts``, the console and Kibana read them alike."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any, Literal

from elasticsearch import Elasticsearch

from grokpipe.api import metrics

Source = Literal["rule", "error-groups", "digest", "check", "report"]


class History:
    def __init__(self, es: Elasticsearch, index: str, clock: Callable[[], datetime]) -> None:
        self.es = es
        self.index = index
        self.clock = clock

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
    ) -> dict[str, Any]:
        """Index one document; ``refresh`` makes it visible to the next read at once (rules, which may run
        a thousand a minute, leave that to the periodic refresh)."""
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
        self.es.index(index=self.index, document=doc, refresh=refresh)
        metrics.ALERTS.labels(source=source, kind=kind).inc()
        return doc

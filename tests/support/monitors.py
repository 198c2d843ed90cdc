"""Check-in documents as the indexer's ``sentry`` pipeline writes them (``event.dataset: sentry.checkin``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

MAPPING: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "event": {"properties": {"dataset": {"type": "keyword"}}},
        "service": {"properties": {"environment": {"type": "keyword"}}},
        "sentry": {
            "properties": {
                "checkin": {
                    "properties": {
                        "id": {"type": "keyword"}, "monitor_slug": {"type": "keyword"},
                        "status": {"type": "keyword"}, "duration": {"type": "float"},
                    }
                },
                "extra": {"type": "flattened"},
            }
        },
    }
}  # fmt: skip


def checkin(slug: str, run: str, status: str, at: datetime, config: dict[str, Any] | None = None) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "@timestamp": at.isoformat(),
        "event": {"dataset": "sentry.checkin"},
        "service": {"environment": "prod"},
        "sentry": {"checkin": {"id": run, "monitor_slug": slug, "status": status}},
    }
    if config:
        doc["sentry"]["extra"] = {"monitor_config": config}
    return doc

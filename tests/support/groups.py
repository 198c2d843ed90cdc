"""Documents of error events, written straight into a logs index (the api tests' input)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch, helpers

from grokpipe.api.groups.stats import iso
from support.api import doc


def event(key: str, at: datetime, ingested: datetime, **fields: Any) -> dict[str, Any]:
    eid = uuid.uuid4().hex
    return doc(
        at,
        _id=eid,
        event__id=eid,
        event__ingested=iso(ingested),
        event__dataset=fields.pop("dataset", "php.error"),
        error__grouping_key=key,
        error__title=fields.pop("title", f"error {key}"),
        error__culprit=fields.pop("culprit", f"/app/{key}.php:7"),
        log__level=fields.pop("level", "critical"),
        host__name=fields.pop("host", "web-1"),
        message=f"PHP Fatal error: {key}",
        **fields,
    )


def add(es: Elasticsearch, index: str, docs: list[dict[str, Any]]) -> None:
    actions = [{"_index": index, "_id": d.pop("_id"), "_source": d} for d in docs]
    helpers.bulk(es, actions, refresh=True)


def es_count(es: Elasticsearch, index: str, *keys: str) -> int:
    return int(es.count(index=index, query={"terms": {"error.grouping_key": list(keys)}})["count"])

"""Events carrying ``log.pattern.key``/``log.pattern.template``, written straight into a logs index."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.groups.stats import iso
from support.api import doc


def key_of(template: str) -> str:
    """A deterministic key per template, as the indexer's are (12 hex digits)."""
    return hashlib.sha1(template.encode()).hexdigest()[:12]


def line(template: str, at: datetime, ingested: datetime, **fields: Any) -> dict[str, Any]:
    eid = uuid.uuid4().hex
    return doc(
        at,
        _id=eid,
        event__id=eid,
        event__ingested=iso(ingested),
        event__dataset=fields.pop("dataset", "app.log"),
        log__level=fields.pop("level", "info"),
        log__pattern__key=fields.pop("key", None) or key_of(template),
        log__pattern__template=template,
        host__name=fields.pop("host", "web-1"),
        message=template,
        **fields,
    )


def count_keys(es: Elasticsearch, index: str, *keys: str) -> int:
    return int(es.count(index=index, query={"terms": {"log.pattern.key": list(keys)}})["count"])

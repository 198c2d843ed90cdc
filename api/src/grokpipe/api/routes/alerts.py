"""``/alerts``: history of fired and recovered alerts (``grokpipe-alerts``), filtered and paged."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from grokpipe.api.deps import ReadAccess, ServicesDep
from grokpipe.api.responses import AlertRecord
from grokpipe.api.rules.schemas import Page

router = APIRouter(prefix="/alerts", tags=["alerts"])


@router.get("")
def list_alerts(
    *,
    services: ServicesDep,
    _: ReadAccess,
    rule_id: str | None = None,
    kind: Literal["fired", "recovered", "new", "regressed", "suppressed", "digest"] | None = None,
    group_key: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[AlertRecord]:
    filters: list[dict[str, Any]] = []
    for name, value in (("rule.id", rule_id), ("kind", kind), ("group_key", group_key)):
        if value is not None:
            filters.append({"term": {name: value}})
    if since or until:
        bounds = {k: v.isoformat() for k, v in (("gte", since), ("lt", until)) if v}
        filters.append({"range": {"@timestamp": bounds}})
    resp = services.es.search(
        index=services.settings.indices.alerts,
        query={"bool": {"filter": filters}},
        from_=offset,
        size=limit,
        sort=[{"@timestamp": "desc"}],
        track_total_hits=True,
    )
    items = [h["_source"] | {"id": h["_id"]} for h in resp["hits"]["hits"]]
    return Page[AlertRecord](items=items, total=resp["hits"]["total"]["value"], offset=offset, limit=limit)

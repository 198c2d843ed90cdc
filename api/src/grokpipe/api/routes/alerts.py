"""``/alerts``: history of fired and recovered alerts (``grokpipe-alerts``), filtered and paged."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter

from grokpipe.api.deps import ServicesDep
from grokpipe.api.errors import search_failed
from grokpipe.api.kernel.access import ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Moment, Paging
from grokpipe.api.responses import AlertRecord
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

router = APIRouter(prefix="/alerts", tags=["alerts"], route_class=DeclaredRoute)


@router.get("")
def list_alerts(
    *,
    services: ServicesDep,
    _: ReadAccess,
    rule_id: str | None = None,
    kind: Literal["fired", "recovered", "new", "regressed", "suppressed", "digest", "missed", "timeout", "error"]
    | None = None,
    group_key: str | None = None,
    since: Moment | None = None,
    until: Moment | None = None,
    window: Paging,
) -> Page[AlertRecord]:
    offset, limit = window
    filters: list[dict[str, Any]] = []
    for name, value in (("rule.id", rule_id), ("kind", kind), ("group_key", group_key)):
        if value is not None:
            filters.append({"term": {name: value}})
    if since or until:
        bounds = {k: v.isoformat() for k, v in (("gte", since), ("lt", until)) if v}
        filters.append({"range": {"@timestamp": bounds}})
    try:
        with elasticsearch_errors("search of the alert history"):
            resp = services.es.search(
                index=services.settings.indices.alerts,
                query={"bool": {"filter": filters}},
                from_=offset,
                size=limit,
                sort=[{"@timestamp": "desc"}],
                track_total_hits=True,
            )
    except ElasticsearchError as exc:
        raise search_failed("search of the alert history", exc) from exc
    items = [h["_source"] | {"id": h["_id"]} for h in resp["hits"]["hits"]]
    return Page[AlertRecord](items=items, total=resp["hits"]["total"]["value"], offset=offset, limit=limit)

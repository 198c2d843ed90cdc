"""Alerts: the history of ``grokpipe-alerts`` (fired, recovered, new, regressed, digest) with filters."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.params import PAGE, Filters, Offset, window_start
from grokpipe.api.console.render import page
from grokpipe.api.services import Services

router = APIRouter()
Kind = Literal["fired", "recovered", "new", "regressed", "digest"]
KINDS: list[str] = ["fired", "recovered", "new", "regressed", "digest"]
Window = Literal["1h", "24h", "7d", "30d", "all"]


@dataclass(frozen=True)
class AlertRow:
    """What the page shows of one history document: notifier names and outcomes, no addresses."""

    id: str
    at: str
    kind: str
    rule_id: str
    rule_name: str
    group_key: str
    check_id: str
    count: int | None
    notified: bool
    outcomes: list[tuple[str, str]]

    @classmethod
    def of(cls, hit: dict[str, Any]) -> AlertRow:
        src = hit["_source"]
        rule = src.get("rule") or {}
        notifications = src.get("notifications") or {}
        return cls(
            id=str(hit["_id"]),
            at=str(src.get("@timestamp", "")),
            kind=str(src.get("kind", "")),
            rule_id=str(rule.get("id", "")),
            rule_name=str(rule.get("name", "")),
            group_key=str(src.get("group_key") or ""),
            check_id=str((src.get("check") or {}).get("id") or ""),
            count=src.get("count"),
            notified=bool(src.get("notified")),
            outcomes=[(str(n), str((o or {}).get("outcome", "?"))) for n, o in sorted(notifications.items())],
        )


def history(
    services: Services,
    *,
    rule_id: str | None = None,
    kind: str | None = None,
    group_key: str | None = None,
    since: datetime | None = None,
    offset: int = 0,
    limit: int = PAGE,
) -> tuple[list[AlertRow], int]:
    """The same filters as ``GET /alerts``, newest first."""
    filters: list[dict[str, Any]] = []
    for name, value in (("rule.id", rule_id), ("kind", kind), ("group_key", group_key)):
        if value:
            filters.append({"term": {name: value}})
    if since:
        filters.append({"range": {"@timestamp": {"gte": since.isoformat()}}})
    resp = services.es.search(
        index=services.settings.indices.alerts,
        query={"bool": {"filter": filters}},
        from_=offset,
        size=limit,
        sort=[{"@timestamp": "desc"}],
        track_total_hits=True,
    )
    return [AlertRow.of(h) for h in resp["hits"]["hits"]], int(resp["hits"]["total"]["value"])


class AlertFilters(Filters):
    kind: Kind | Literal[""] = ""
    rule_id: str = ""
    group_key: str = ""
    window: Window = "7d"
    offset: Offset = 0


AlertQuery = Annotated[AlertFilters, Query()]


@router.get("/alerts", response_class=HTMLResponse)
def alerts_list(request: Request, session: Viewer, services: ServicesDep, filters: AlertQuery) -> HTMLResponse:
    now = services.clock()
    rows, total = history(
        services,
        rule_id=filters.rule_id,
        kind=filters.kind,
        group_key=filters.group_key,
        since=window_start(now, filters.window),
        offset=filters.offset,
    )
    return page(
        request,
        "alerts.html",
        session=session,
        now=now,
        nav="alerts",
        title="Alerts",
        rows=rows,
        total=total,
        offset=filters.offset,
        page_size=PAGE,
        kinds=KINDS,
        windows=list(get_args(Window)),
        filters=filters.echo(),
    )

"""Errors: the group list (filters, sorts, inline histograms), a group's page, and its actions.

The actions call the same ``ErrorGroups`` methods as ``POST /errors/{id}/...``; every one needs an
admin session and the form's CSRF token (``Actor``).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from grokpipe.api.console import histogram
from grokpipe.api.console.access import Actor, BadForm, ServicesDep, Viewer, base_path
from grokpipe.api.console.params import PAGE, Filters, Offset, window_start
from grokpipe.api.console.render import page
from grokpipe.api.groups.schemas import GroupStatus, IgnoreRequest
from grokpipe.api.groups.service import Sort
from grokpipe.api.services import Services

router = APIRouter()
Window = Literal["1h", "24h", "7d", "14d", "30d", "all"]
IGNORE_FOR: dict[str, timedelta | None] = {
    "forever": None,
    "1h": timedelta(hours=1),
    "24h": timedelta(hours=24),
    "7d": timedelta(days=7),
}
_COUNT = re.compile(r"[1-9][0-9]{0,8}")
FLASH = {
    "resolved": "Resolved: the next event of this error reopens it as a regression.",
    "unresolved": "Marked unresolved.",
    "ignored": "Ignored.",
    "merged": "Merged into this group.",
}


def _facets(services: Services) -> dict[str, list[str]]:
    """Datasets and levels the stored groups have, for the filter menus."""
    resp = services.es.search(
        index=services.groups.index,
        size=0,
        aggs={
            "datasets": {"terms": {"field": "datasets", "size": 100}},
            "levels": {"terms": {"field": "level"}},
            "hosts": {"terms": {"field": "hosts", "size": 100}},
            "containers": {"terms": {"field": "containers", "size": 100}},
            "environments": {"terms": {"field": "environments", "size": 100}},
        },
    )
    aggs = resp.get("aggregations", {})
    return {
        name: sorted(str(b["key"]) for b in aggs.get(name, {}).get("buckets", []))
        for name in ("datasets", "levels", "hosts", "containers", "environments")
    }


def _charts(services: Services, groups: list[Any], window: histogram.Range) -> dict[str, histogram.Chart]:
    if not groups:
        return {}
    now = services.clock()
    starts = histogram.bucket_starts(now, window)
    members = {g.id: [g.id, *g.aliases] for g in groups}
    keys = [k for ks in members.values() for k in ks]
    resp = services.errors.counter.search(histogram.search(keys, starts[0], now, window))
    return {gid: histogram.chart(b) for gid, b in histogram.per_group(resp, members, starts).items()}


class ErrorFilters(Filters):
    status: GroupStatus | Literal["all"] = "unresolved"
    level: str = ""
    dataset: str = ""
    host: str = ""
    container: str = ""
    environment: str = ""
    window: Window = "14d"
    sort: Sort = "count"
    q: str = ""
    hist: histogram.Range = "24h"
    offset: Offset = 0


ErrorQuery = Annotated[ErrorFilters, Query()]


@router.get("/errors", response_class=HTMLResponse)
def errors_list(request: Request, session: Viewer, services: ServicesDep, filters: ErrorQuery) -> HTMLResponse:
    now = services.clock()
    result = services.errors.search(
        status=None if filters.status == "all" else filters.status,
        level=filters.level or None,
        dataset=filters.dataset or None,
        host=filters.host or None,
        container=filters.container or None,
        environment=filters.environment or None,
        since=window_start(now, filters.window),
        q=filters.q or None,
        sort=filters.sort,
        offset=filters.offset,
        limit=PAGE,
    )
    return page(
        request,
        "errors.html",
        session=session,
        now=now,
        nav="errors",
        title="Errors",
        result=result,
        charts=_charts(services, result.items, filters.hist),
        filters=filters.echo(),
        facets=_facets(services),
        windows=list(get_args(Window)),
        offset=filters.offset,
        page_size=PAGE,
    )


def _flatten(source: Any, prefix: str = "") -> list[tuple[str, str]]:
    if isinstance(source, dict):
        out: list[tuple[str, str]] = []
        for key in sorted(source):
            out.extend(_flatten(source[key], f"{prefix}.{key}" if prefix else str(key)))
        return out
    if isinstance(source, list):
        return [(prefix, ", ".join(str(v) for v in source))]
    return [(prefix, "" if source is None else str(source))]


@router.get("/errors/{group_id}", response_class=HTMLResponse)
def error_group(
    *,
    request: Request,
    group_id: str,
    session: Viewer,
    services: ServicesDep,
    hist: histogram.Range = "24h",
    done: str = "",
) -> HTMLResponse:
    detail = services.errors.detail(group_id, interval="hour" if hist == "24h" else "day")
    latest = services.errors.events(detail.id, 0, 5)
    samples = [
        {
            "id": e.get("_id"),
            "at": e.get("@timestamp"),
            "message": e.get("message", ""),
            "fields": [(k, v) for k, v in _flatten(e) if k not in {"message", "_id"}],
        }
        for e in latest.items
    ]
    others = services.errors.search(status="unresolved", sort="last_seen", limit=50).items
    return page(
        request,
        "group.html",
        session=session,
        now=services.clock(),
        nav="errors",
        title=detail.title or detail.id,
        group=detail,
        chart=histogram.chart([(b.start, b.count) for b in detail.histogram], width=720, height=120, gap=2),
        hist=hist,
        samples=samples,
        events_total=latest.total,
        merge_targets=[g for g in others if g.id != detail.id],
        flash=FLASH.get(done, ""),
        ignore_for=list(IGNORE_FOR),
    )


def _back(request: Request, group_id: str, done: str) -> RedirectResponse:
    return RedirectResponse(f"{base_path(request)}/errors/{group_id}?done={done}", status_code=303)


@router.post("/errors/{group_id}/resolve")
def resolve(request: Request, group_id: str, _: Actor, services: ServicesDep) -> RedirectResponse:
    return _back(request, services.errors.resolve(group_id).id, "resolved")


@router.post("/errors/{group_id}/unresolve")
def unresolve(request: Request, group_id: str, _: Actor, services: ServicesDep) -> RedirectResponse:
    return _back(request, services.errors.unresolve(group_id).id, "unresolved")


@router.post("/errors/{group_id}/ignore")
def ignore(request: Request, group_id: str, action: Actor, services: ServicesDep) -> RedirectResponse:
    delta = IGNORE_FOR.get(action.form.get("for", "forever"))
    count = action.form.get("count", "").strip()
    if count and not _COUNT.fullmatch(count):  # str.isdigit() takes "²", which int() refuses
        raise BadForm("count: a whole number of events from 1 to 999,999,999, or empty")
    until: datetime | None = services.clock() + delta if delta else None
    body = IgnoreRequest(until=until, count=int(count) if count else None)
    return _back(request, services.errors.ignore(group_id, body).id, "ignored")


@router.post("/errors/{group_id}/merge")
def merge(request: Request, group_id: str, action: Actor, services: ServicesDep) -> RedirectResponse:
    into = action.form.get("into", "").strip()
    if not into:
        raise BadForm("choose the group to merge this one into")
    return _back(request, services.errors.merge(group_id, into).id, "merged")

"""Patterns: what is new today, what is spiking, what is rare (the same answers as ``GET /patterns``)."""

from __future__ import annotations

from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.params import Filters, window_start
from grokpipe.api.console.render import page
from grokpipe.api.patterns.schemas import PatternPublic, Sort

router = APIRouter()
Window = Literal["1h", "24h", "7d"]
TOP = 10


class PatternFilters(Filters):
    window: Window = "24h"
    dataset: str = ""
    level: str = ""
    host: str = ""


PatternQuery = Annotated[PatternFilters, Query()]


@router.get("/patterns", response_class=HTMLResponse)
def patterns_page(request: Request, session: Viewer, services: ServicesDep, filters: PatternQuery) -> HTMLResponse:
    now = services.clock()
    since = window_start(now, filters.window)
    window = filters.window

    def top(sort: Sort, *, new: bool = False) -> list[PatternPublic]:
        return services.patterns.search(
            datasets=[filters.dataset] if filters.dataset else None,
            levels=[filters.level] if filters.level else None,
            hosts=[filters.host] if filters.host else None,
            since=since,
            until=now,
            new=new,
            sort=sort,
            limit=TOP,
        ).items

    sections = [
        ("new", "New", f"first seen in the last {window}", top("first_seen", new=True)),
        ("spiking", "Spiking", f"most growth against the {window} before", [p for p in top("change") if p.change > 0]),
        ("rare", "Rare", f"fewest events in the last {window}", top("rare")),
    ]
    return page(
        request,
        "patterns.html",
        session=session,
        now=now,
        nav="patterns",
        title="Patterns",
        sections=sections,
        filters=filters.echo(),
        windows=list(get_args(Window)),
    )

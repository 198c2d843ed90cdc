"""Patterns: what is new today, what is spiking, what is rare (the same answers as ``GET /patterns``)."""

from __future__ import annotations

from datetime import timedelta
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.render import page
from grokpipe.api.patterns.schemas import PatternPublic, Sort

router = APIRouter()
Window = Literal["1h", "24h", "7d"]
WINDOWS: dict[str, timedelta] = {"1h": timedelta(hours=1), "24h": timedelta(hours=24), "7d": timedelta(days=7)}
TOP = 10


@router.get("/patterns", response_class=HTMLResponse)
def patterns_page(
    *,
    request: Request,
    session: Viewer,
    services: ServicesDep,
    window: Window = "24h",
    dataset: str = "",
    level: str = "",
    host: str = "",
) -> HTMLResponse:
    now = services.clock()
    since = now - WINDOWS[window]

    def top(sort: Sort, *, new: bool = False) -> list[PatternPublic]:
        return services.patterns.search(
            datasets=[dataset] if dataset else None,
            levels=[level] if level else None,
            hosts=[host] if host else None,
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
        filters={"window": window, "dataset": dataset, "level": level, "host": host},
        windows=list(WINDOWS),
    )

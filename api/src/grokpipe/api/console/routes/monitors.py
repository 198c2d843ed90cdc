"""Monitors: each cron monitor's status and its latest check-ins as a timeline (oldest left)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.render import page

router = APIRouter()
TIMELINE = 30  # check-ins shown per monitor


@router.get("/monitors", response_class=HTMLResponse)
def monitors_list(request: Request, session: Viewer, services: ServicesDep) -> HTMLResponse:
    saved = services.monitors.saved()
    view = services.monitors.view
    slugs = sorted(set(view.slugs()) | set(saved))
    monitors = [view.get(slug, saved.get(slug)) for slug in slugs]
    return page(
        request,
        "monitors.html",
        session=session,
        now=services.clock(),
        nav="monitors",
        title="Monitors",
        monitors=monitors,
        timeline=TIMELINE,
    )

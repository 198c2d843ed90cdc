"""Checks: a placeholder until scheduled HTTP checks (``/checks``) land in the api."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from api.console.access import ServicesDep, Viewer
from api.console.render import page

router = APIRouter()


@router.get("/checks", response_class=HTMLResponse)
def checks(request: Request, session: Viewer, services: ServicesDep) -> HTMLResponse:
    return page(request, "checks.html", session=session, now=services.clock(), nav="checks", title="Checks")

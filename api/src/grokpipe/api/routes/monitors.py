"""``/monitors``: cron monitors from Sentry check-ins, their status as of now (read-only so far)."""

from __future__ import annotations

from fastapi import APIRouter

from grokpipe.api.deps import ReadAccess, ServicesDep
from grokpipe.api.monitors.view import Monitor, MonitorView
from grokpipe.api.openapi import DeclaredRoute

router = APIRouter(prefix="/monitors", tags=["monitors"], route_class=DeclaredRoute)


def _view(services: ServicesDep) -> MonitorView:
    return MonitorView(services.es, services.settings.errors.index, services.clock)


@router.get("")
def list_monitors(services: ServicesDep, _: ReadAccess) -> list[Monitor]:
    """Every monitor that has checked in, with its status (``ok``, ``error``, ``missed``, ``timeout``,
    ``in_progress``) and next expected run."""
    return _view(services).list()


@router.get("/{slug}")
def get_monitor(slug: str, services: ServicesDep, _: ReadAccess) -> Monitor:
    """One monitor with its latest check-ins (oldest first)."""
    return _view(services).get(slug)

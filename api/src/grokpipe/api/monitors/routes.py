"""``/monitors``: cron monitors, their status as of now, and CRUD of saved monitors (like checks).

A monitor is listed from its first check-in; it is saved (evaluated on a schedule, alerting through
its notifiers) once created here or by a check-in carrying a ``monitor_config``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from grokpipe.api.errors import NotFound
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.monitors.schemas import MonitorCreate, MonitorUpdate, SavedMonitor
from grokpipe.api.monitors.service import Monitors
from grokpipe.api.monitors.view import Monitor

router = APIRouter(prefix="/monitors", tags=["monitors"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the monitor's version; a stale one gets 409")]
MonitorsDep = Annotated[Monitors, Depends(Provider(Monitors))]


def _saved(monitors: Monitors, slug: str) -> SavedMonitor | None:
    try:
        return monitors.store.get(slug)
    except NotFound:
        return None


@router.get("")
def list_monitors(monitors: MonitorsDep, _: ReadAccess) -> list[Monitor]:
    """Every monitor, saved or that has checked in, with its status (``pending``, ``ok``, ``error``,
    ``missed``, ``timeout``, ``in_progress``) and next expected run."""
    return monitors.view.list(monitors.saved())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_monitor(body: MonitorCreate, monitors: MonitorsDep, _: AdminAccess, response: Response) -> SavedMonitor:
    """Save a monitor (its id is its slug; 409 if it exists)."""
    return monitors.crud.create(body, response)


@router.get("/{slug}")
def get_monitor(slug: str, monitors: MonitorsDep, _: ReadAccess) -> Monitor:
    """One monitor with its latest check-ins (oldest first)."""
    return monitors.view.get(slug, _saved(monitors, slug))


@router.put("/{slug}")
def replace_monitor(
    slug: str, body: MonitorCreate, monitors: MonitorsDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    """Replace a saved monitor; its check-ins no longer change its configuration (``origin: api``)."""
    return monitors.crud.replace(slug, body, if_match, response)


@router.patch("/{slug}")
def update_monitor(
    slug: str, body: MonitorUpdate, monitors: MonitorsDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    return monitors.crud.update(slug, body, if_match, response)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_monitor(slug: str, monitors: MonitorsDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    """Delete a saved monitor and its incident state (a later check-in with a ``monitor_config`` creates it
    again)."""
    monitors.delete(slug, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

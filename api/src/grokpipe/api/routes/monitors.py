"""``/monitors``: cron monitors, their status as of now, and CRUD of saved monitors (like checks).

A monitor is listed from its first check-in; it is saved (evaluated on a schedule, alerting through
its notifiers) once created here or by a check-in carrying a ``monitor_config``.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from grokpipe.api.deps import ServicesDep
from grokpipe.api.errors import InvalidRule, NotFound
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.crud import Crud
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.monitors.schemas import MonitorBody, MonitorCreate, MonitorUpdate, SavedMonitor
from grokpipe.api.monitors.view import Monitor
from grokpipe.api.services import Services

router = APIRouter(prefix="/monitors", tags=["monitors"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the monitor's version; a stale one gets 409")]


def _validate(services: Services, body: MonitorBody) -> None:
    unknown = sorted(set(body.notify or []) - set(services.settings.notifiers))
    if unknown:
        raise InvalidRule(f"unknown notifiers: {', '.join(unknown)}", notifiers=unknown)


def _crud(services: Services) -> Crud[MonitorBody, SavedMonitor]:
    store, validate = services.monitors.store, partial(_validate, services)
    return Crud(store, MonitorBody, "monitor", validate, id_field="slug", fixed={"origin": "api"})


def _saved(services: Services, slug: str) -> SavedMonitor | None:
    try:
        return services.monitors.store.get(slug)
    except NotFound:
        return None


@router.get("")
def list_monitors(services: ServicesDep, _: ReadAccess) -> list[Monitor]:
    """Every monitor, saved or that has checked in, with its status (``pending``, ``ok``, ``error``,
    ``missed``, ``timeout``, ``in_progress``) and next expected run."""
    return services.monitors.view.list(services.monitors.saved())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_monitor(body: MonitorCreate, services: ServicesDep, _: AdminAccess, response: Response) -> SavedMonitor:
    """Save a monitor (its id is its slug; 409 if it exists)."""
    return _crud(services).create(body, response)


@router.get("/{slug}")
def get_monitor(slug: str, services: ServicesDep, _: ReadAccess) -> Monitor:
    """One monitor with its latest check-ins (oldest first)."""
    return services.monitors.view.get(slug, _saved(services, slug))


@router.put("/{slug}")
def replace_monitor(
    slug: str, body: MonitorCreate, services: ServicesDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    """Replace a saved monitor; its check-ins no longer change its configuration (``origin: api``)."""
    return _crud(services).replace(slug, body, if_match, response)


@router.patch("/{slug}")
def update_monitor(
    slug: str, body: MonitorUpdate, services: ServicesDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    return _crud(services).update(slug, body, if_match, response)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_monitor(slug: str, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    """Delete a saved monitor and its incident state (a later check-in with a ``monitor_config`` creates it
    again)."""
    services.monitors.delete(slug, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

"""``/monitors``: cron monitors, their status as of now, and CRUD of saved monitors (like checks).

A monitor is listed from its first check-in; it is saved (evaluated on a schedule, alerting through
its notifiers) once created here or by a check-in carrying a ``monitor_config``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import ValidationError

from grokpipe.api.deps import AdminAccess, ReadAccess, ServicesDep
from grokpipe.api.errors import InvalidRule, NotFound
from grokpipe.api.monitors.schemas import MonitorBody, MonitorCreate, MonitorUpdate, SavedMonitor
from grokpipe.api.monitors.view import Monitor
from grokpipe.api.openapi import DeclaredRoute
from grokpipe.api.services import Services

router = APIRouter(prefix="/monitors", tags=["monitors"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the monitor's version; a stale one gets 409")]


def _validate(services: Services, body: MonitorBody) -> None:
    unknown = sorted(set(body.notify or []) - set(services.settings.notifiers))
    if unknown:
        raise InvalidRule(f"unknown notifiers: {', '.join(unknown)}", notifiers=unknown)


def _saved(services: Services, slug: str) -> SavedMonitor | None:
    try:
        return services.monitors.store.get(slug)
    except NotFound:
        return None


def _tagged(saved: SavedMonitor, response: Response) -> SavedMonitor:
    response.headers["ETag"] = saved.version
    return saved


@router.get("")
def list_monitors(services: ServicesDep, _: ReadAccess) -> list[Monitor]:
    """Every monitor, saved or that has checked in, with its status (``pending``, ``ok``, ``error``,
    ``missed``, ``timeout``, ``in_progress``) and next expected run."""
    return services.monitors.view.list(services.monitors.saved())


@router.post("", status_code=status.HTTP_201_CREATED)
def create_monitor(body: MonitorCreate, services: ServicesDep, _: AdminAccess, response: Response) -> SavedMonitor:
    """Save a monitor (its id is its slug; 409 if it exists)."""
    _validate(services, body)
    created = services.monitors.store.create(body.model_copy(update={"origin": "api"}), rule_id=body.slug)
    return _tagged(created, response)


@router.get("/{slug}")
def get_monitor(slug: str, services: ServicesDep, _: ReadAccess) -> Monitor:
    """One monitor with its latest check-ins (oldest first)."""
    return services.monitors.view.get(slug, _saved(services, slug))


@router.put("/{slug}")
def replace_monitor(
    slug: str, body: MonitorCreate, services: ServicesDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    """Replace a saved monitor; its check-ins no longer change its configuration (``origin: api``)."""
    current = services.monitors.store.get(slug)
    if body.slug != slug:
        raise InvalidRule("the slug of a monitor does not change", field="slug")
    _validate(services, body)
    return _tagged(
        services.monitors.store.replace(current, body.model_copy(update={"origin": "api"}), if_match), response
    )


@router.patch("/{slug}")
def update_monitor(
    slug: str, body: MonitorUpdate, services: ServicesDep, _: AdminAccess, response: Response, if_match: IfMatch = None
) -> SavedMonitor:
    current = services.monitors.store.get(slug)
    merged = current.model_dump(include=set(MonitorBody.model_fields)) | body.model_dump(exclude_unset=True)
    try:
        new = MonitorBody.model_validate(merged | {"origin": "api"})
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False)
        raise InvalidRule("invalid monitor after update", errors=errors) from None
    _validate(services, new)
    return _tagged(services.monitors.store.replace(current, new, if_match), response)


@router.delete("/{slug}", status_code=status.HTTP_204_NO_CONTENT)
def delete_monitor(slug: str, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    """Delete a saved monitor and its incident state (a later check-in with a ``monitor_config`` creates it
    again)."""
    services.monitors.delete(slug, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)

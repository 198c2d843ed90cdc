"""``/notifiers``: names and types only — configuration lives in api.yml and secrets never leave it."""

from __future__ import annotations

from fastapi import APIRouter

from grokpipe.api.deps import ServicesDep
from grokpipe.api.kernel.access import ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.responses import NotifierPublic

router = APIRouter(prefix="/notifiers", tags=["notifiers"], route_class=DeclaredRoute)


@router.get("")
def list_notifiers(services: ServicesDep, _: ReadAccess) -> list[NotifierPublic]:
    return [NotifierPublic(name=name, type=cfg.type) for name, cfg in services.settings.notifiers.items()]

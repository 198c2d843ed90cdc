"""``/checks``: scheduled multi-step HTTP checks (CRUD like rules), run now, preview, run history.

Responses carry :class:`CheckPublic`: the secrets' names, never their values. Preview and run need
the admin key: they make requests from the api's network.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import BaseModel

from grokpipe.api.checks import validate
from grokpipe.api.checks.schemas import Check, CheckBody, CheckCreate, CheckPublic, CheckRun, CheckUpdate, RunRecord
from grokpipe.api.checks.store import CheckStore
from grokpipe.api.deps import ServicesDep
from grokpipe.api.errors import Conflict
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.crud import Crud
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.notifiers.channels import NotifierConfig
from grokpipe.api.params import Paging
from grokpipe.api.services import Services

router = APIRouter(prefix="/checks", tags=["checks"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the check's version; a stale one gets 409")]


class CheckCrud(Crud[CheckBody, Check]):
    """A PATCH that does not set ``secrets`` keeps the ones this api cannot open as stored."""

    def __init__(self, store: CheckStore, notifiers: Mapping[str, NotifierConfig]) -> None:
        super().__init__(store, CheckBody, "check", lambda body: validate.check_body(body, notifiers), echo_input=False)
        self.checks = store

    def write(self, current: Check, body: CheckBody, if_match: str | None, patch: BaseModel | None = None) -> Check:
        keep = patch is not None and "secrets" not in patch.model_fields_set
        return self.checks.replace(current, body, if_match, keep_secrets=keep)


def _crud(services: Services) -> CheckCrud:
    return CheckCrud(services.checks.store, services.settings.notifiers)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_check(body: CheckCreate, services: ServicesDep, _: AdminAccess, response: Response) -> CheckPublic:
    return CheckPublic.of(_crud(services).create(body, response))


@router.get("")
def list_checks(
    *,
    services: ServicesDep,
    _: ReadAccess,
    enabled: bool | None = None,
    tag: str | None = None,
    window: Paging,
) -> Page[CheckPublic]:
    offset, limit = window
    page = services.checks.store.search(offset=offset, limit=limit, enabled=enabled, tag=tag)
    items = [CheckPublic.of(c) for c in page.items]
    return Page[CheckPublic](items=items, total=page.total, offset=offset, limit=limit)


@router.post("/preview")
def preview_check(body: CheckCreate, services: ServicesDep, _: AdminAccess) -> CheckRun:
    """Run a check body now without saving it: no result documents, no alerts."""
    validate.check_body(body, services.settings.notifiers)
    return services.checks.runner.execute(body)


@router.get("/{check_id}")
def get_check(check_id: str, services: ServicesDep, _: ReadAccess, response: Response) -> CheckPublic:
    return CheckPublic.of(_crud(services).get(check_id, response))


@router.put("/{check_id}")
def replace_check(
    check_id: str, body: CheckCreate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    return CheckPublic.of(_crud(services).replace(check_id, body, if_match))


@router.patch("/{check_id}")
def update_check(
    check_id: str, body: CheckUpdate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    return CheckPublic.of(_crud(services).update(check_id, body, if_match))


@router.delete("/{check_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_check(check_id: str, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    _crud(services).delete(check_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{check_id}/run")
def run_check(check_id: str, services: ServicesDep, _: AdminAccess) -> CheckRun:
    """Run now (as a tick at the current time): results stored, alerts decided and sent like a scheduled run."""
    check = services.checks.store.get(check_id)
    run = services.checks.service.run(check, services.clock())
    if run is None:
        raise Conflict("the check is running right now; retry shortly")
    return run


@router.get("/{check_id}/runs")
def check_runs(
    check_id: str,
    services: ServicesDep,
    _: ReadAccess,
    window: Paging,
) -> Page[RunRecord]:
    """The stored results, newest first: one item per run and matrix row."""
    offset, limit = window
    services.checks.store.get(check_id)
    return services.checks.results.history(check_id, offset=offset, limit=limit)

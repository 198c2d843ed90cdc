"""``/checks``: scheduled multi-step HTTP checks (CRUD like rules), run now, preview, run history.

Responses carry :class:`CheckPublic`: the secrets' names, never their values. Preview and run need
the admin key: they make requests from the api's network.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Response, status

from grokpipe.api.checks import validate
from grokpipe.api.checks.schemas import CheckCreate, CheckPublic, CheckRun, CheckUpdate, RunRecord
from grokpipe.api.checks.service import Checks
from grokpipe.api.errors import Conflict
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Paging

router = APIRouter(prefix="/checks", tags=["checks"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the check's version; a stale one gets 409")]
ChecksDep = Annotated[Checks, Depends(Provider(Checks))]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_check(body: CheckCreate, checks: ChecksDep, _: AdminAccess, response: Response) -> CheckPublic:
    return CheckPublic.of(checks.crud.create(body, response))


@router.get("")
def list_checks(
    *,
    checks: ChecksDep,
    _: ReadAccess,
    enabled: bool | None = None,
    tag: str | None = None,
    window: Paging,
) -> Page[CheckPublic]:
    offset, limit = window
    page = checks.store.search(offset=offset, limit=limit, enabled=enabled, tag=tag)
    items = [CheckPublic.of(c) for c in page.items]
    return Page[CheckPublic](items=items, total=page.total, offset=offset, limit=limit)


@router.post("/preview")
def preview_check(body: CheckCreate, checks: ChecksDep, _: AdminAccess) -> CheckRun:
    """Run a check body now without saving it: no result documents, no alerts."""
    validate.check_body(body, checks.dispatcher.notifiers)
    return checks.runner.execute(body)


@router.get("/{check_id}")
def get_check(check_id: str, checks: ChecksDep, _: ReadAccess, response: Response) -> CheckPublic:
    return CheckPublic.of(checks.crud.get(check_id, response))


@router.put("/{check_id}")
def replace_check(
    check_id: str, body: CheckCreate, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    return CheckPublic.of(checks.crud.replace(check_id, body, if_match))


@router.patch("/{check_id}")
def update_check(
    check_id: str, body: CheckUpdate, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    return CheckPublic.of(checks.crud.update(check_id, body, if_match))


@router.delete("/{check_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_check(check_id: str, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    checks.crud.delete(check_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{check_id}/run")
def run_check(check_id: str, checks: ChecksDep, _: AdminAccess) -> CheckRun:
    """Run now (as a tick at the current time): results stored, alerts decided and sent like a scheduled run."""
    check = checks.store.get(check_id)
    run = checks.service.run(check, checks.clock())
    if run is None:
        raise Conflict("the check is running right now; retry shortly")
    return run


@router.get("/{check_id}/runs")
def check_runs(
    check_id: str,
    checks: ChecksDep,
    _: ReadAccess,
    window: Paging,
) -> Page[RunRecord]:
    """The stored results, newest first: one item per run and matrix row."""
    offset, limit = window
    checks.store.get(check_id)
    return checks.results.history(check_id, offset=offset, limit=limit)

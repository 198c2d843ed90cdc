"""``/checks``: scheduled multi-step HTTP checks (CRUD like rules), run now, preview, run history.

Responses carry :class:`CheckPublic`: the secrets' names, never their values. Preview and run need
the admin key: they make requests from the api's network.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status
from pydantic import ValidationError

from grokpipe.api.checks import validate
from grokpipe.api.checks.schemas import Check, CheckBody, CheckCreate, CheckPublic, CheckRun, CheckUpdate, RunRecord
from grokpipe.api.deps import AdminAccess, ReadAccess, ServicesDep
from grokpipe.api.errors import Conflict, InvalidRule
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.openapi import DeclaredRoute
from grokpipe.api.params import Paging
from grokpipe.api.services import Services

router = APIRouter(prefix="/checks", tags=["checks"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the check's version; a stale one gets 409")]
_SAVED = {"id", "version", "created", "updated"}


def _validate(services: Services, body: CheckBody) -> None:
    validate.check_body(body, services.settings.notifiers)


def _public(check: Check, response: Response | None = None) -> CheckPublic:
    if response is not None:
        response.headers["ETag"] = check.version
    return CheckPublic.of(check)


@router.post("", status_code=status.HTTP_201_CREATED)
def create_check(body: CheckCreate, services: ServicesDep, _: AdminAccess, response: Response) -> CheckPublic:
    _validate(services, body)
    return _public(services.checks.store.create(body), response)


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
    _validate(services, body)
    return services.checks.runner.execute(body)


@router.get("/{check_id}")
def get_check(check_id: str, services: ServicesDep, _: ReadAccess, response: Response) -> CheckPublic:
    return _public(services.checks.store.get(check_id), response)


@router.put("/{check_id}")
def replace_check(
    check_id: str, body: CheckCreate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    current = services.checks.store.get(check_id)
    _validate(services, body)
    return _public(services.checks.store.replace(current, body, if_match))


@router.patch("/{check_id}")
def update_check(
    check_id: str, body: CheckUpdate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> CheckPublic:
    current = services.checks.store.get(check_id)
    merged = current.model_dump(exclude=_SAVED, by_alias=True) | body.model_dump(exclude_unset=True, by_alias=True)
    try:
        new = CheckBody.model_validate(merged)
    except ValidationError as exc:
        errors = exc.errors(include_url=False, include_context=False, include_input=False)  # input: secrets
        raise InvalidRule("invalid check after update", errors=errors) from None
    _validate(services, new)
    keep = "secrets" not in body.model_fields_set  # secrets it cannot open stay as stored
    return _public(services.checks.store.replace(current, new, if_match, keep_secrets=keep))


@router.delete("/{check_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_check(check_id: str, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    services.checks.store.delete(check_id, if_match)
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

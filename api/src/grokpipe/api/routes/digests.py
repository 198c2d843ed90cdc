"""``/digests``: scheduled summaries of error groups (CRUD like rules), send now, preview."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, Response, status

from grokpipe.api.deps import ServicesDep
from grokpipe.api.digests.schemas import Digest, DigestBody, DigestCreate, DigestPreview, DigestReport, DigestUpdate
from grokpipe.api.errors import InvalidRule
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.crud import Crud
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Paging
from grokpipe.api.routes.previews import DigestMessagesPreview
from grokpipe.api.services import Services

router = APIRouter(prefix="/digests", tags=["digests"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the digest's version; a stale one gets 409")]


def _validate(services: Services, body: DigestBody) -> None:
    unknown = sorted(set(body.notify) - set(services.settings.notifiers))
    if unknown:
        raise InvalidRule(f"unknown notifiers: {', '.join(unknown)}", notifiers=unknown)


def _crud(services: Services) -> Crud[DigestBody, Digest]:
    return Crud(services.digests, DigestBody, "digest", lambda body: _validate(services, body))


@router.post("", status_code=status.HTTP_201_CREATED)
def create_digest(body: DigestCreate, services: ServicesDep, _: AdminAccess, response: Response) -> Digest:
    return _crud(services).create(body, response)


@router.get("")
def list_digests(
    *,
    services: ServicesDep,
    _: ReadAccess,
    enabled: bool | None = None,
    window: Paging,
) -> Page[Digest]:
    offset, limit = window
    return services.digests.search(offset=offset, limit=limit, enabled=enabled)


@router.post("/preview")
def preview_digest(body: DigestPreview, services: ServicesDep, _: ReadAccess) -> DigestReport:
    """What the digest would list (default: the period up to now), without sending."""
    now = services.clock()
    start, end = body.start, body.end
    if start is None or end is None:
        start, end = _current_period(body.digest, now)
    return services.digest_runner.report(body.digest, start, end)


def _current_period(digest: DigestBody, now: Any) -> tuple[Any, Any]:
    last_tick = digest.schedule.previous(digest.schedule.next_after(now))
    return last_tick, now


@router.get("/{digest_id}")
def get_digest(digest_id: str, services: ServicesDep, _: ReadAccess, response: Response) -> Digest:
    return _crud(services).get(digest_id, response)


@router.post("/{digest_id}/preview")
def preview_digest_messages(digest_id: str, services: ServicesDep, _: ReadAccess) -> DigestMessagesPreview:
    """The stored digest for the period up to now, and what each of its notifiers would receive (the
    rendered message per channel, the e-mail's HTML too). Nothing is sent."""
    digest = services.digests.get(digest_id)
    start, end = _current_period(digest, services.clock())
    report = services.digest_runner.report(digest, start, end, digest.id)
    message = services.digest_runner.message(digest, report)
    return DigestMessagesPreview(report=report, messages=services.dispatcher.preview(digest.notify, message))


@router.put("/{digest_id}")
def replace_digest(
    digest_id: str, body: DigestCreate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> Digest:
    return _crud(services).replace(digest_id, body, if_match)


@router.patch("/{digest_id}")
def update_digest(
    digest_id: str, body: DigestUpdate, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None
) -> Digest:
    return _crud(services).update(digest_id, body, if_match)


@router.delete("/{digest_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_digest(digest_id: str, services: ServicesDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    _crud(services).delete(digest_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{digest_id}/run")
def run_digest(digest_id: str, services: ServicesDep, _: AdminAccess) -> DigestReport:
    """Send now: the period from the last scheduled tick up to now."""
    digest = services.digests.get(digest_id)
    now = services.clock()
    start, end = _current_period(digest, now)
    return services.digest_runner.send(digest, start, end, now)

"""``/digests``: scheduled summaries of error groups (CRUD like rules), send now, preview."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Response, status

from grokpipe.api.digests.schemas import (
    Digest,
    DigestBody,
    DigestCreate,
    DigestMessagesPreview,
    DigestPreview,
    DigestReport,
    DigestUpdate,
)
from grokpipe.api.digests.service import DigestRunner
from grokpipe.api.digests.store import DigestStore
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.crud import Crud, require_notifiers
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.params import Paging

router = APIRouter(prefix="/digests", tags=["digests"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the digest's version; a stale one gets 409")]


@dataclass(frozen=True)
class DigestsFeature:
    """What the digests' routes work with (provided at startup by the wiring, ``services.py``)."""

    store: DigestStore
    runner: DigestRunner
    dispatcher: Dispatcher
    clock: Clock

    def validate(self, body: DigestBody) -> None:
        require_notifiers(body.notify, self.dispatcher.notifiers)

    @cached_property
    def crud(self) -> Crud[DigestBody, Digest]:
        return Crud(self.store, DigestBody, "digest", self.validate)


DigestsDep = Annotated[DigestsFeature, Depends(Provider(DigestsFeature))]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_digest(body: DigestCreate, digests: DigestsDep, _: AdminAccess, response: Response) -> Digest:
    return digests.crud.create(body, response)


@router.get("")
def list_digests(
    *,
    digests: DigestsDep,
    _: ReadAccess,
    enabled: bool | None = None,
    window: Paging,
) -> Page[Digest]:
    offset, limit = window
    return digests.store.search(offset=offset, limit=limit, enabled=enabled)


@router.post("/preview")
def preview_digest(body: DigestPreview, digests: DigestsDep, _: ReadAccess) -> DigestReport:
    """What the digest would list (default: the period up to now), without sending."""
    now = digests.clock()
    start, end = body.start, body.end
    if start is None or end is None:
        start, end = _current_period(body.digest, now)
    return digests.runner.report(body.digest, start, end)


def _current_period(digest: DigestBody, now: Any) -> tuple[Any, Any]:
    last_tick = digest.schedule.previous(digest.schedule.next_after(now))
    return last_tick, now


@router.get("/{digest_id}")
def get_digest(digest_id: str, digests: DigestsDep, _: ReadAccess, response: Response) -> Digest:
    return digests.crud.get(digest_id, response)


@router.post("/{digest_id}/preview")
def preview_digest_messages(digest_id: str, digests: DigestsDep, _: ReadAccess) -> DigestMessagesPreview:
    """The stored digest for the period up to now, and what each of its notifiers would receive (the
    rendered message per channel, the e-mail's HTML too). Nothing is sent."""
    digest = digests.store.get(digest_id)
    start, end = _current_period(digest, digests.clock())
    report = digests.runner.report(digest, start, end, digest.id)
    message = digests.runner.message(digest, report)
    return DigestMessagesPreview(report=report, messages=digests.dispatcher.preview(digest.notify, message))


@router.put("/{digest_id}")
def replace_digest(
    digest_id: str, body: DigestCreate, digests: DigestsDep, _: AdminAccess, if_match: IfMatch = None
) -> Digest:
    return digests.crud.replace(digest_id, body, if_match)


@router.patch("/{digest_id}")
def update_digest(
    digest_id: str, body: DigestUpdate, digests: DigestsDep, _: AdminAccess, if_match: IfMatch = None
) -> Digest:
    return digests.crud.update(digest_id, body, if_match)


@router.delete("/{digest_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_digest(digest_id: str, digests: DigestsDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    digests.crud.delete(digest_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{digest_id}/run")
def run_digest(digest_id: str, digests: DigestsDep, _: AdminAccess) -> DigestReport:
    """Send now: the period from the last scheduled tick up to now."""
    digest = digests.store.get(digest_id)
    now = digests.clock()
    start, end = _current_period(digest, now)
    return digests.runner.send(digest, start, end, now)

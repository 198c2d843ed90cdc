"""``/errors``: error groups (one per fingerprint) listed, inspected, resolved, ignored and merged."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, Query

from grokpipe.api.groups.schemas import (
    GroupDetail,
    GroupPublic,
    GroupStatus,
    IgnoreRequest,
    MergeRequest,
    OwnersRefreshed,
    SyncSummary,
)
from grokpipe.api.groups.service import ErrorGroups, Sort
from grokpipe.api.groups.stats import Interval
from grokpipe.api.groups.sync import GroupSync
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Moment, Paging

router = APIRouter(prefix="/errors", tags=["errors"], route_class=DeclaredRoute)
GroupsDep = Annotated[ErrorGroups, Depends(Provider(ErrorGroups))]
SyncDep = Annotated[GroupSync, Depends(Provider(GroupSync))]


@router.get("")
def list_groups(
    *,
    groups: GroupsDep,
    _: ReadAccess,
    status: GroupStatus | None = None,
    level: str | None = None,
    dataset: str | None = None,
    host: Annotated[str | None, Query(description="host.name (the shipper's host) of its events")] = None,
    container: Annotated[str | None, Query(description="container.name of its events")] = None,
    environment: Annotated[str | None, Query(description="groups seen in this service.environment")] = None,
    release: Annotated[str | None, Query(description="groups seen in this release (service.version)")] = None,
    since: Annotated[Moment | None, Query(description="window start (@timestamp); counts are in the window")] = None,
    until: Moment | None = None,
    q: Annotated[str | None, Query(description="words of the title")] = None,
    sort: Sort = "count",
    window: Paging,
) -> Page[GroupPublic]:
    offset, limit = window
    return groups.search(
        status=status,
        level=level,
        dataset=dataset,
        host=host,
        container=container,
        environment=environment,
        release=release,
        since=since,
        until=until,
        q=q,
        sort=sort,
        offset=offset,
        limit=limit,
    )


@router.post("/sync")
def sync_now(sync: SyncDep, _: AdminAccess, reconcile: bool = False) -> SyncSummary:
    """Update the group store now (it also runs every ``errors.sync_interval`` seconds); ``reconcile``
    also checks every stored count against Elasticsearch (done every ``errors.reconcile_interval``)."""
    result = sync.run_once(reconcile_now=reconcile)
    return SyncSummary(
        keys=result.keys,
        created=result.created,
        regressed=result.regressed,
        repaired=result.repaired,
        settled_before=result.settled_before,
    )


@router.post("/owners/refresh")
def refresh_owners(sync: SyncDep, _: AdminAccess) -> OwnersRefreshed:
    """Look every group's owner up again now (newest first, at most ``blame.refresh_limit``; call again
    while ``complete`` is false). The sync does it by itself after a ``blame`` config change or a new
    revision of a repository."""
    result = sync.refresh_owners(force=True)
    return OwnersRefreshed(checked=result.checked, updated=result.updated, complete=result.complete)


@router.get("/{group_id}")
def get_group(group_id: str, groups: GroupsDep, _: ReadAccess, interval: Interval = "hour") -> GroupDetail:
    """The group with an hourly (24 h) or daily (14 d) histogram and its latest events."""
    return groups.detail(group_id, interval=interval)


@router.get("/{group_id}/events")
def group_events(
    group_id: str,
    groups: GroupsDep,
    _: ReadAccess,
    window: Paging,
) -> Page[dict[str, Any]]:
    offset, limit = window
    return groups.events(group_id, offset, limit)


@router.post("/{group_id}/resolve")
def resolve(
    group_id: str,
    groups: GroupsDep,
    _: AdminAccess,
    in_next_release: Annotated[
        bool, Query(description="only an event of a later release (one it has not been seen in) regresses it")
    ] = False,
) -> GroupPublic:
    """Resolved until seen again: an event after now regresses it (``in_next_release``: an event after now
    from a release the group had not been seen in)."""
    return groups.resolve(group_id, in_next_release=in_next_release)


@router.post("/{group_id}/unresolve")
def unresolve(group_id: str, groups: GroupsDep, _: AdminAccess) -> GroupPublic:
    return groups.unresolve(group_id)


@router.post("/{group_id}/ignore")
def ignore(
    group_id: str, groups: GroupsDep, _: AdminAccess, body: Annotated[IgnoreRequest | None, Body()] = None
) -> GroupPublic:
    """Ignore for good, until a moment (``until``), or until ``count`` more events arrived."""
    return groups.ignore(group_id, body or IgnoreRequest())


@router.post("/{group_id}/merge")
def merge(group_id: str, body: MergeRequest, groups: GroupsDep, _: AdminAccess) -> GroupPublic:
    """This group's past and future events count for ``into`` from now on."""
    return groups.merge(group_id, body.into)

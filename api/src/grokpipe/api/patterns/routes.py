"""``/patterns``: the templates of the logs, ranked by count, novelty or change in a window."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from grokpipe.api.groups.stats import Interval
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Moment
from grokpipe.api.patterns.schemas import PatternDetail, PatternPublic, PatternSyncSummary, Sort
from grokpipe.api.patterns.service import Patterns
from grokpipe.api.patterns.sync import PatternSync

router = APIRouter(prefix="/patterns", tags=["patterns"], route_class=DeclaredRoute)
PatternsDep = Annotated[Patterns, Depends(Provider(Patterns))]
SyncDep = Annotated[PatternSync, Depends(Provider(PatternSync))]


@router.get("")
def list_patterns(
    *,
    patterns: PatternsDep,
    _: ReadAccess,
    dataset: str | None = None,
    level: str | None = None,
    host: str | None = None,
    since: Annotated[Moment | None, Query(description="window start (@timestamp); default: until - 24 h")] = None,
    until: Annotated[Moment | None, Query(description="window end; default: now")] = None,
    new: Annotated[bool, Query(description="only patterns first seen in the window")] = False,
    sort: Annotated[
        Sort,
        Query(
            description="count: most events in the window; first_seen: newest; change: most growth against "
            "the window of the same length before it; rare: fewest events"
        ),
    ] = "count",
    offset: Annotated[int, Query(ge=0)] = 0,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> Page[PatternPublic]:
    """Patterns with events in the window (and matching the filters), with their counts there and before."""
    return patterns.search(
        datasets=[dataset] if dataset else None,
        levels=[level] if level else None,
        hosts=[host] if host else None,
        since=since,
        until=until,
        new=new,
        sort=sort,
        offset=offset,
        limit=limit,
    )


@router.post("/sync")
def sync_now(sync: SyncDep, _: AdminAccess) -> PatternSyncSummary:
    """Update the pattern store now (it also runs every ``patterns.sync_interval`` seconds)."""
    result = sync.run_once()
    return PatternSyncSummary(
        keys=result.keys,
        created=result.created,
        merged=result.merged,
        overflow=result.overflow,
        settled_before=result.settled_before,
    )


@router.get("/{pattern_id}")
def get_pattern(pattern_id: str, patterns: PatternsDep, _: ReadAccess, interval: Interval = "hour") -> PatternDetail:
    """The pattern (by its id or any key merged into it) with an hourly (24 h) or daily (14 d) histogram,
    its latest events and the keys merged into it."""
    return patterns.detail(pattern_id, interval=interval)

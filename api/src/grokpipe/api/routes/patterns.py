"""``/patterns``: the patterns of the events in a window (read-only, from the indexer's pattern keys)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from grokpipe.api.deps import ReadAccess, ServicesDep
from grokpipe.api.openapi import DeclaredRoute
from grokpipe.api.params import Moment
from grokpipe.api.patterns.schemas import PatternDetail, PatternPublic
from grokpipe.api.patterns.service import MAX_LIMIT, Interval, Patterns
from grokpipe.api.rules.schemas import Page

router = APIRouter(prefix="/patterns", tags=["patterns"], route_class=DeclaredRoute)


def _patterns(services: ServicesDep) -> Patterns:
    return Patterns(services.es, services.settings.errors.index, services.clock)


@router.get("")
def list_patterns(
    *,
    services: ServicesDep,
    _: ReadAccess,
    dataset: str | None = None,
    level: str | None = None,
    host: str | None = None,
    since: Annotated[Moment | None, Query(description="window start (@timestamp; default: a day before until)")] = None,
    until: Annotated[Moment | None, Query(description="window end (default: now)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
) -> Page[PatternPublic]:
    """Patterns by count of events in the window, most frequent first."""
    return _patterns(services).search(dataset=dataset, level=level, host=host, since=since, until=until, limit=limit)


@router.get("/{pattern_id}")
def get_pattern(
    pattern_id: str,
    services: ServicesDep,
    _: ReadAccess,
    since: Moment | None = None,
    until: Moment | None = None,
    interval: Interval = "hour",
) -> PatternDetail:
    """One pattern with its histogram and newest events in the window."""
    return _patterns(services).detail(pattern_id, since=since, until=until, interval=interval)

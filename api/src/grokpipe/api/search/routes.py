"""``/search``: events matching a Lucene query in a time range, their histogram, a field's top values and
the numbers of a numeric field (``/search/stats``); saved searches (``/search/saved``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.params import Moment
from grokpipe.api.search.schemas import SavedSearch, SavedSearchCreate, SearchPage, Stats, TopValues
from grokpipe.api.search.service import MAX_PAGE, TIME_FIELD, Order, Searcher
from grokpipe.api.search.store import SavedSearches
from grokpipe.api.search.timerange import TimeRange

router = APIRouter(prefix="/search", tags=["search"], route_class=DeclaredRoute)

Q = Annotated[
    str, Query(description="Lucene, as in Kibana and in rules: `http.response.status_code:500 AND host.name:web-1`")
]
Since = Annotated[str | None, Query(description="the last 15m, 1h, 7d... (default 15m when `from` is not given)")]
From = Annotated[Moment | None, Query(alias="from", description="absolute range start (ISO 8601)")]
Until = Annotated[Moment | None, Query(description="range end (ISO 8601; default now)")]
Index = Annotated[str, Query(min_length=1, description="index pattern")]
TimeField = Annotated[
    str, Query(min_length=1, description="the date field the range applies to (event.ingested for a live tail)")
]


@dataclass(frozen=True)
class SearchFeature:
    """What the search routes work with (provided at startup by the wiring, ``services.py``)."""

    searcher: Searcher
    saved: SavedSearches
    clock: Clock

    def range(self, since: str | None, start: datetime | None, until: datetime | None) -> TimeRange:
        return TimeRange.resolve(self.clock(), since=since or None, start=start, end=until)


SearchDep = Annotated[SearchFeature, Depends(Provider(SearchFeature))]


@router.get("")
def search(
    *,
    search: SearchDep,
    _: ReadAccess,
    q: Q = "",
    since: Since = None,
    start: From = None,
    until: Until = None,
    index: Index = "logs-*",
    size: Annotated[int, Query(ge=0, le=MAX_PAGE)] = 50,
    after: Annotated[str | None, Query(description="the `next` of the previous page")] = None,
    fields: Annotated[str | None, Query(description="comma-separated fields to return (default: all)")] = None,
    histogram: Annotated[bool, Query(description="also the count of matching events over time")] = False,
    order: Order = "desc",
    time_field: TimeField = TIME_FIELD,
) -> SearchPage:
    """Matching events, newest first, paged by `after` (search_after: no deep offsets)."""
    columns = [f.strip() for f in (fields or "").split(",") if f.strip()]
    return search.searcher.page(
        q,
        search.range(since, start, until),
        index=index,
        size=size,
        after=after,
        columns=columns,
        histogram=histogram,
        order=order,
        time_field=time_field,
    )


@router.get("/top")
def top_values(
    *,
    search: SearchDep,
    _: ReadAccess,
    field: str,
    q: Q = "",
    since: Since = None,
    start: From = None,
    until: Until = None,
    index: Index = "logs-*",
    size: Annotated[int, Query(ge=1, le=100)] = 10,
    time_field: TimeField = TIME_FIELD,
) -> TopValues:
    """The most frequent values of `field` among the matching events."""
    return search.searcher.top(
        q, search.range(since, start, until), field, index=index, size=size, time_field=time_field
    )


@router.get("/stats")
def stats(
    *,
    search: SearchDep,
    _: ReadAccess,
    field: Annotated[str, Query(min_length=1, description="a numeric field, e.g. http.request.duration")],
    by: Annotated[str | None, Query(min_length=1, description="a keyword field: numbers per value (its top N)")] = None,
    top: Annotated[int, Query(ge=1, le=100)] = 10,
    q: Q = "",
    since: Since = None,
    start: From = None,
    until: Until = None,
    index: Index = "logs-*",
    time_field: TimeField = TIME_FIELD,
) -> Stats:
    """count, avg, min, max, p50, p90, p95 and p99 of `field`, overall and per value of `by`."""
    return search.searcher.stats(
        q, search.range(since, start, until), field, by=by, top=top, index=index, time_field=time_field
    )


@router.get("/saved")
def list_saved(search: SearchDep, _: ReadAccess) -> list[SavedSearch]:
    return search.saved.list()


@router.post("/saved", status_code=201)
def save(search: SearchDep, _: AdminAccess, body: SavedSearchCreate) -> SavedSearch:
    return search.saved.create(body)


@router.delete("/saved/{search_id}", status_code=204)
def delete_saved(search: SearchDep, _: AdminAccess, search_id: str) -> Response:
    search.saved.delete(search_id)
    return Response(status_code=204)

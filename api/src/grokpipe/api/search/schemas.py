"""What ``/search`` answers: events, a histogram, top values, stats; and saved searches."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grokpipe.api.kernel.durations import Duration


class Event(BaseModel):
    id: str
    index: str
    timestamp: str | None = Field(description="the event's @timestamp as stored")
    fields: dict[str, Any] = Field(description="the document's fields, flattened to dotted names")


class Bar(BaseModel):
    start: str
    count: int


class Histogram(BaseModel):
    interval: str = Field(description="width of one bar (fixed_interval)")
    bars: list[Bar]


class SearchPage(BaseModel):
    query: str
    start: str
    end: str
    total: int = Field(description="events matching in the range (exact when the histogram was asked for)")
    total_relation: Literal["eq", "gte"] = "eq"
    took_ms: int = Field(description="time the server spent on the searches of this answer")
    events: list[Event]
    next: str | None = Field(description="pass as `after` for the next (older) page; null on the last page")
    histogram: Histogram | None = None


class TopValue(BaseModel):
    value: Any
    count: int


class TopValues(BaseModel):
    field: str
    total: int = Field(description="events matching in the range")
    values: list[TopValue]
    other: int = Field(description="events with another value than the ones listed")
    missing: int = Field(description="events without the field")


class Numbers(BaseModel):
    count: int
    avg: float | None
    min: float | None
    max: float | None
    percentiles: dict[str, float | None] = Field(description='{"p50": ..., "p90": ..., "p95": ..., "p99": ...}')
    error_bound: float = Field(description="at most this far from the true percentile (0: exact or server-computed)")


class GroupNumbers(Numbers):
    key: Any


class Stats(BaseModel):
    query: str
    field: str
    by: str | None
    start: str
    end: str
    method: Literal["percentiles", "histogram"] = Field(
        description="percentiles: the server's percentiles aggregation (TDigest estimates); histogram: computed "
        "from a histogram aggregation, off by at most error_bound"
    )
    took_ms: int
    overall: Numbers
    groups: list[GroupNumbers] = Field(default_factory=list, description="per value of `by`, the most frequent first")


class SavedSearchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    query: str = ""
    index: str = "logs-*"
    since: Duration | None = "15m"
    start: datetime | None = None
    end: datetime | None = None
    columns: list[str] = Field(default_factory=list)


class SavedSearch(SavedSearchCreate):
    id: str
    created: str

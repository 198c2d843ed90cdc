"""Patterns as typed models: the stored pattern, what ``/patterns`` returns."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grokpipe.api.groups.schemas import EPOCH, Bucket

Sort = Literal["count", "first_seen", "change", "rare"]
#: the id of the pattern that counts keys the store has no room for (``patterns.max_patterns``)
OVERFLOW = "overflow"


class Pattern(BaseModel):
    """One document of ``grokpipe-patterns``; its id is the first ``log.pattern.key`` seen of it, and stays.

    ``keys`` are the keys merged into it (its own first). ``count`` holds the events of its keys whose
    ``event.ingested`` is before ``settled_through``; later ones are counted live when read.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    template: str
    length: int = Field(description="words of the template")
    keys: list[str] = Field(default_factory=list)
    keys_dropped: int = Field(default=0, description="keys past patterns.max_keys_per_pattern, not listed")
    count: int = 0
    settled_through: datetime = EPOCH
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    levels: list[str] = Field(default_factory=list)
    datasets: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    samples: list[str] = Field(default_factory=list, description="latest event ids, newest first")
    created: datetime | None = None
    updated: datetime | None = None


class PatternPublic(BaseModel):
    id: str
    template: str
    levels: list[str]
    datasets: list[str]
    hosts: list[str]
    keys: int = Field(description="keys merged into the pattern")
    count: int = Field(description="events in the requested window")
    previous: int = Field(description="events in the window of the same length just before it")
    change: int = Field(description="count - previous")
    total: int = Field(description="events ever")
    first_seen: datetime | None
    last_seen: datetime | None

    @classmethod
    def of(cls, pattern: Pattern, *, count: int, previous: int, total: int) -> PatternPublic:
        return cls(
            id=pattern.id,
            template=pattern.template,
            levels=pattern.levels,
            datasets=pattern.datasets,
            hosts=pattern.hosts,
            keys=len(pattern.keys) + pattern.keys_dropped,
            count=count,
            previous=previous,
            change=count - previous,
            total=total,
            first_seen=pattern.first_seen,
            last_seen=pattern.last_seen,
        )


class PatternDetail(PatternPublic):
    histogram: list[Bucket]
    samples: list[dict[str, Any]] = Field(description="latest events of the window, newest first")
    merged_keys: list[str] = Field(description="the log.pattern.key values merged into this pattern")


class PatternSyncSummary(BaseModel):
    keys: int
    created: list[str]
    merged: int = Field(description="keys that joined an existing pattern")
    overflow: int = Field(description="keys counted in the overflow pattern (the store is full)")
    settled_before: datetime

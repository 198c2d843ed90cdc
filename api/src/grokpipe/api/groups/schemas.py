"""Error groups as typed models: the stored group, what the API returns, what users send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from grokpipe.api.kernel.schemas import Strict
from grokpipe.api.params import Moment

GroupStatus = Literal["unresolved", "resolved", "ignored"]
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Owner(BaseModel):
    """The author of the culprit line, from ``git blame``."""

    name: str
    email: str
    commit: str
    date: datetime | None = None
    file: str | None = None
    line: int | None = None


class ErrorGroup(BaseModel):
    """One document of ``grokpipe-error-groups``, id = the fingerprint (``error.grouping_key``).

    ``count`` holds the group's own events whose ``event.ingested`` is before ``settled_through``;
    events after it are counted live from ``logs-*`` when read, so totals are exact at any moment.
    """

    model_config = ConfigDict(extra="ignore")

    id: str
    title: str = ""
    type: str | None = None
    culprit: str | None = None
    level: str | None = None
    origin_file: str | None = None
    origin_line: int | None = None
    datasets: list[str] = Field(default_factory=list)
    hosts: list[str] = Field(default_factory=list)
    containers: list[str] = Field(default_factory=list, description="container.name of its events (Docker)")
    environments: list[str] = Field(default_factory=list, description="service.environment of its events")
    first_release: str | None = Field(default=None, description="service.version of its earliest event")
    last_release: str | None = Field(default=None, description="service.version of its newest event")
    releases: list[str] = Field(default_factory=list, description="releases it was seen in, newest first (50)")
    resolved_in_next_release: bool = False
    resolved_releases: list[str] = Field(
        default_factory=list, description="releases seen when resolved in the next release: they do not regress it"
    )
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    count: int = 0
    settled_through: datetime = EPOCH
    status: GroupStatus = "unresolved"
    resolved_at: datetime | None = None
    regressed_at: datetime | None = None
    ignore_until: datetime | None = None
    ignore_until_count: int | None = None
    samples: list[str] = Field(default_factory=list, description="latest event ids, newest first")
    owner: Owner | None = None
    owner_for: str | None = Field(default=None, description="the file:line the owner was looked up for")
    aliases: list[str] = Field(default_factory=list, description="fingerprints merged into this group")
    merged_into: str | None = None
    created: datetime | None = None
    notified_at: datetime | None = None
    pending: list[Literal["new", "regressed", "suppressed"]] = Field(
        default_factory=list, description="notifications due (suppressed: a record of those held back)"
    )
    suppressed: list[str] = Field(
        default_factory=list, description="why notifications were held back, until recorded in the alert history"
    )


class GroupPublic(BaseModel):
    id: str
    title: str
    type: str | None
    culprit: str | None
    level: str | None
    datasets: list[str]
    hosts: list[str]
    containers: list[str] = Field(default_factory=list)
    environments: list[str] = []
    first_release: str | None = None
    last_release: str | None = None
    resolved_in_next_release: bool = False
    count: int = Field(description="events in the requested window")
    total: int = Field(description="events ever, including merged fingerprints")
    first_seen: datetime | None
    last_seen: datetime | None
    status: GroupStatus
    resolved_at: datetime | None
    regressed_at: datetime | None
    ignore_until: datetime | None
    ignore_until_count: int | None
    owner: Owner | None
    aliases: list[str]

    @classmethod
    def of(cls, group: ErrorGroup, *, count: int, total: int) -> GroupPublic:
        return cls.model_validate(group.model_dump() | {"count": count, "total": total})


class Bucket(BaseModel):
    start: datetime
    count: int


class GroupDetail(GroupPublic):
    histogram: list[Bucket]
    samples: list[dict[str, Any]]


class IgnoreRequest(Strict):
    """Ignore until a moment, or until ``count`` more events arrived (either, both or neither)."""

    until: Moment | None = None
    count: int | None = Field(default=None, ge=1)


class MergeRequest(Strict):
    into: str = Field(min_length=1, description="the group that absorbs this one")


class SyncSummary(BaseModel):
    """``POST /errors/sync``: what one pass of the group store's update did."""

    keys: int = Field(description="fingerprints with new events in the pass")
    created: list[str] = Field(description="groups created")
    regressed: list[str] = Field(description="resolved groups seen again")
    repaired: list[str] = Field(description="groups whose stored count a reconcile corrected or created")
    settled_before: datetime = Field(
        description="the new watermark: events ingested before it are in the stored counts"
    )


class OwnersRefreshed(BaseModel):
    """``POST /errors/owners/refresh``: owners looked up again."""

    checked: int = Field(description="groups with a culprit file and line")
    updated: int = Field(description="groups whose owner or lookup stamp changed")
    complete: bool = Field(description="false: blame.refresh_limit was reached; call again for the rest")

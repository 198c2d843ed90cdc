"""Error groups and digests as typed models: the stored group, what the API returns, what users send."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.kernel.schemas import Saved, Strict
from grokpipe.api.params import Moment
from grokpipe.api.responses import NotificationOutcome

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


class DigestFilter(Strict):
    datasets: list[str] = Field(default_factory=list)
    levels: list[str] = Field(default_factory=list)


_DIGEST_EXAMPLE: dict[str, Any] = {
    "name": "Daily PHP errors",
    "schedule": {"cron": "0 9 * * *", "timezone": "Asia/Shanghai"},
    "filter": {"datasets": ["nginx.error", "php.error"]},
    "top": 7,
    "notify": ["local-sink"],
}


class DigestBody(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    enabled: bool = True
    schedule: Schedule = Field(default_factory=lambda: Schedule(cron="0 9 * * *"))
    filter: DigestFilter = Field(default_factory=DigestFilter)
    top: int = Field(default=10, ge=1, le=100)
    monitors: bool = Field(default=False, description="also list the cron monitors failing when it is sent")
    new_patterns: int = Field(
        default=0, ge=0, le=50, description="a section with up to this many patterns first seen in the period (0: none)"
    )
    notify: list[str] = Field(default_factory=list)
    tags: list[str] = Field(default_factory=list)


class DigestCreate(DigestBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_DIGEST_EXAMPLE]})


class DigestUpdate(Strict):
    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    schedule: Schedule | None = None
    filter: DigestFilter | None = None
    top: int | None = None
    monitors: bool | None = None
    new_patterns: int | None = None
    notify: list[str] | None = None
    tags: list[str] | None = None


class Digest(DigestBody, Saved):
    pass


class DigestPreview(Strict):
    digest: DigestCreate
    start: Moment | None = Field(default=None, description="default: the period ending at the last tick")
    end: Moment | None = None

    @model_validator(mode="after")
    def _both_or_neither(self) -> DigestPreview:
        if (self.start is None) != (self.end is None):
            raise ValueError("give both start and end, or neither")
        if self.start is not None and self.end is not None:
            if self.start.tzinfo is None or self.end.tzinfo is None:
                raise ValueError("start and end need a timezone (e.g. 2026-01-05T12:00:00Z)")
            if self.start >= self.end:
                raise ValueError("start must be before end")
        return self


class DigestRow(BaseModel):
    id: str
    flag: Literal["new", "regressed", "ongoing"]
    title: str
    culprit: str | None
    level: str | None
    count: int
    total: int
    first_seen: datetime | None
    last_seen: datetime | None
    owner: Owner | None


class MonitorRow(BaseModel):
    """A cron monitor failing when a digest is sent."""

    slug: str
    name: str
    status: str
    last_checkin: datetime | None
    since: datetime | None = None


class DigestPattern(BaseModel):
    """A pattern first seen in a digest's period (``/patterns/{id}``)."""

    id: str
    template: str
    count: int = Field(description="events in the period")
    first_seen: datetime | None


class DigestReport(BaseModel):
    digest_id: str | None
    name: str
    start: datetime
    end: datetime
    rows: list[DigestRow]
    monitors: list[MonitorRow] = Field(default_factory=list)
    new: int
    regressed: int
    groups: int
    events: int
    patterns: list[DigestPattern] = Field(default_factory=list, description="new patterns (digest.new_patterns)")
    notifications: dict[str, NotificationOutcome] = Field(default_factory=dict)


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

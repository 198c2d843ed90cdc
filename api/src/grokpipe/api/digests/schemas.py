"""Digests as typed models: what users send (``DigestCreate``, ``DigestUpdate``, ``DigestPreview``), what is
stored (``Digest``) and what a digest lists (``DigestReport``: error groups, failing monitors, new patterns)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grokpipe.api.groups.schemas import Owner
from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.kernel.schemas import Saved, Strict
from grokpipe.api.monitors.schemas import MonitorRow
from grokpipe.api.notifiers.base import Rendered
from grokpipe.api.params import Moment
from grokpipe.api.responses import NotificationOutcome


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


# ``POST /digests/{id}/preview``: the digest now and what each notifier would receive (Dispatcher.preview)
class DigestMessagesPreview(BaseModel):
    report: DigestReport
    messages: dict[str, Rendered]

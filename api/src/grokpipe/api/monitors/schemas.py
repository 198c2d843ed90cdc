"""Saved cron monitors: what the API takes (``MonitorCreate``, ``MonitorUpdate``) and stores (``SavedMonitor``).

The id of a saved monitor is its slug (the ``monitor_slug`` of its check-ins), so a first check-in seen by
two replicas creates it once (the second create is a conflict).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from grokpipe.api.kernel.schemas import Saved, Strict
from grokpipe.api.monitors.schedule import MonitorConfig

SLUG = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,99}$"
Origin = Literal["checkin", "api"]

_EXAMPLE: dict[str, Any] = {
    "slug": "nightly-report",
    "config": {
        "schedule": {"type": "crontab", "value": "0 2 * * *"},
        "checkin_margin": 5,
        "max_runtime": 60,
        "timezone": "Europe/Berlin",
    },
    "notify": ["local-sink"],
}


class MonitorBody(Strict):
    slug: str = Field(pattern=SLUG)
    name: str = Field(default="", max_length=200, description="default: the slug")
    description: str = ""
    enabled: bool = True
    config: MonitorConfig
    notify: list[str] | None = Field(default=None, description="notifiers; null: monitors.notify of the config")
    recovery: bool = Field(default=True, description="notify when an incident resolves")
    tags: list[str] = Field(default_factory=list)
    origin: Origin = Field(default="api", description="created by the API or by its first check-in")

    @model_validator(mode="after")
    def _named(self) -> MonitorBody:
        if not self.name:
            self.name = self.slug
        return self


class MonitorCreate(MonitorBody):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})


class MonitorUpdate(Strict):
    """PATCH: only the given keys change; validated as a whole monitor (the slug does not change)."""

    name: str | None = None
    description: str | None = None
    enabled: bool | None = None
    config: MonitorConfig | None = None
    notify: list[str] | None = None
    recovery: bool | None = None
    tags: list[str] | None = None


class SavedMonitor(MonitorBody, Saved):
    """A stored monitor: the body plus identity and the concurrency token."""


class MonitorRow(BaseModel):
    """A cron monitor failing when a digest is sent."""

    slug: str
    name: str
    status: str
    last_checkin: datetime | None
    since: datetime | None = None

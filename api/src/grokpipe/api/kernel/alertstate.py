"""The alert state a scheduled definition persists in its lease document: since when each group fires.

Rules, checks and monitors keep the same shape (one ``GroupState`` per firing group), so a restart or another
replica continues with the same realert, silence and acknowledge decisions (``grokpipe.api.throttle``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class GroupState(BaseModel):
    since: datetime
    last_notified: datetime | None = None
    acknowledged: bool = False
    held: bool = Field(default=False, description="a held-back match was recorded since the last notification")
    group: dict[str, Any] = Field(default_factory=dict)


class RuleState(BaseModel):
    """What a restart must remember: last run and which groups fire (persisted in Elasticsearch)."""

    last_run: datetime | None = None
    last_tick: datetime | None = None
    groups: dict[str, GroupState] = Field(default_factory=dict)

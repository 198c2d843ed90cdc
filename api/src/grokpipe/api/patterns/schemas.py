"""What ``/patterns`` answers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel


class PatternPublic(BaseModel):
    id: str  #: the indexer's ``log.pattern.key``
    template: str
    count: int  #: events in the window
    level: str | None = None  #: the most frequent level of its events in the window
    dataset: str | None = None  #: the most frequent dataset


class Bucket(BaseModel):
    start: datetime
    count: int


class PatternDetail(PatternPublic):
    histogram: list[Bucket]
    samples: list[dict[str, Any]]  #: the newest events of the pattern in the window

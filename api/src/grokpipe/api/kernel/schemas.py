"""Base schemas every feature's models build on: strict bodies, saved definitions, pages of results."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

T = TypeVar("T")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Saved(BaseModel):
    """Identity and the concurrency token of a stored definition (rule, digest)."""

    id: str
    version: str = Field(description="opaque token '<seq_no>:<primary_term>'; send it back as If-Match")
    created: datetime
    updated: datetime


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    offset: int
    limit: int

"""``patterns:`` of api.yml: the pattern store's own settings, beside the code that reads them."""

from __future__ import annotations

from pydantic import Field

from grokpipe.settings import Section


class PatternSettings(Section):
    """The pattern store (``/patterns``): every ``log.pattern.key`` of ``index`` in a pattern with a stable id."""

    enabled: bool = True
    index: str = Field(default="logs-*", description="where events with log.pattern.key are")
    sync_interval: float = Field(default=5.0, gt=0, description="seconds between pattern-store updates")
    settle: float = Field(
        default=10.0,
        ge=1,
        description="seconds after event.ingested by which an event is searchable (a bulk request + the refresh "
        "interval + clock skew between indexer and api); a pass reads the events older than that, so a new key "
        "is in its pattern about settle + sync_interval after its first event",
    )
    max_events_per_pass: int = Field(
        default=200_000, ge=100, description="events one pass reads; a backlog is worked off over several"
    )
    page_size: int = Field(
        default=10_000,
        ge=100,
        le=10_000,
        description="events read per search (at most index.max_result_window): on a server whose searches scan "
        "the index, each page costs a scan",
    )
    max_patterns: int = Field(
        default=20_000, ge=10, description="patterns kept; keys matching none past it count in one overflow pattern"
    )
    max_keys_per_pattern: int = Field(
        default=1_000, ge=1, description="keys a pattern lists; more are counted in its total, not in its windows"
    )
    candidates: int = Field(
        default=200, ge=1, description="patterns of the same length a new key is compared with (most recent first)"
    )

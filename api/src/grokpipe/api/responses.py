"""Response shapes that no one resource owns: alert history documents, notification outcomes, the
notifier list and health, so ``/openapi.json`` documents what the routes return.

The history document and the outcome are ``TypedDict`` s: they are the very dicts written to
``grokpipe-alerts`` and returned as they are, so typing them changes no value; a document keeps the
fields its source adds (``group``, ``window``, a check's ``row``...) besides the common ones.
"""

from __future__ import annotations

from typing import Literal, NotRequired

from pydantic import BaseModel, ConfigDict, Field, with_config
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12 (a dependency of pydantic)


class NotificationOutcome(TypedDict):
    """One notifier's delivery of one message; ``error`` (failed only) never holds a URL or a token."""

    outcome: Literal["sent", "failed"]
    attempts: int
    error: NotRequired[str]


class AlertSource(TypedDict):
    """The rule, digest, check or report that raised the alert."""

    id: str | None
    name: str | None


#: One ``grokpipe-alerts`` document (``id`` is its ``_id``, in ``/alerts`` pages); times are ISO 8601 text.
AlertRecord = TypedDict(
    "AlertRecord",
    {
        "id": NotRequired[str],
        "@timestamp": str,
        # what every writer has stored from the start; the rest is NotRequired so that a history kept
        # from an earlier version still pages instead of failing the response validation
        "rule": AlertSource,
        "tick": NotRequired[str],
        "kind": NotRequired[str],
        "group_key": NotRequired[str | None],
        "count": NotRequired[int],
        "notified": NotRequired[bool],
        "notifications": NotRequired[dict[str, NotificationOutcome]],
    },
)
with_config(ConfigDict(extra="allow"))(AlertRecord)  # the fields of each source pass through


class NotifierPublic(BaseModel):
    """A configured notifier: its name and type, never its URL, token or password."""

    model_config = ConfigDict(extra="forbid")

    name: str
    type: str


class Health(BaseModel):
    status: Literal["ok", "degraded"]
    elasticsearch: bool = Field(description="whether Elasticsearch answered a ping")
    rules: int = Field(description="rules the scheduler holds")

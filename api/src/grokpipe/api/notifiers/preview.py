"""What each channel would receive, as the previews by id (``POST /rules|digests|reports/{id}/preview``)
return it: the text as the channel shows it, the e-mail's HTML part, the request body; nothing is sent."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from grokpipe.api.checks.schemas import ReportResult
from grokpipe.api.groups.schemas import DigestReport
from grokpipe.api.notifiers.base import Message
from grokpipe.api.notifiers.dispatch import Dispatcher


class Rendered(BaseModel):
    """One notifier's message. Secrets (webhook URLs and headers, passwords) are never part of it."""

    channel: str | None = Field(description="dingtalk, slack, email or webhook; null for an unknown notifier")
    title: str | None = None
    text: str | None = Field(default=None, description="as the channel shows it (markdown, mrkdwn, plain text)")
    html: str | None = Field(default=None, description="the HTML part of an e-mail")
    body: dict[str, Any] | None = Field(default=None, description="the JSON the channel is sent")
    to: list[str] | None = None
    error: str | None = None


def rendered(dispatcher: Dispatcher, names: list[str], message: Message) -> dict[str, Rendered]:
    return {name: Rendered.model_validate(out) for name, out in dispatcher.preview(names, message).items()}


class GroupMessages(BaseModel):
    group: dict[str, Any]
    key: str
    messages: dict[str, Rendered]


class RuleMessagesPreview(BaseModel):
    """``POST /rules/{id}/preview``: the groups the rule finds in its window ending now, and the
    ``[FIRED]`` message each notifier would receive for each of them (at most ``limit``)."""

    start: str
    end: str
    total: int
    findings: int
    groups: list[GroupMessages]


class DigestMessagesPreview(BaseModel):
    report: DigestReport
    messages: dict[str, Rendered]


class ReportMessagesPreview(BaseModel):
    result: ReportResult
    messages: dict[str, Rendered]

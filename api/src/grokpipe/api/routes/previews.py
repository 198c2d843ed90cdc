"""What each channel would receive, as the previews by id (``POST /rules|digests|reports/{id}/preview``)
return it: the text as the channel shows it, the e-mail's HTML part, the request body; nothing is sent.

Wiring, not the notifiers: each answer pairs a feature's result (a rule's groups, a digest, a report) with the
notifiers' :class:`Rendered` messages (:meth:`Dispatcher.preview`).
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from grokpipe.api.checks.schemas import ReportResult
from grokpipe.api.digests.schemas import DigestReport
from grokpipe.api.notifiers.base import Rendered

__all__ = ["DigestMessagesPreview", "GroupMessages", "ReportMessagesPreview", "RuleMessagesPreview"]


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

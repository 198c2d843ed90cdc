"""THE table of channels: a new notifier is its package under ``grokpipe.api.notifiers`` and one line here.

api.yml's ``notifiers:`` entries (by ``type:``), the handles ``owners:`` entries may give, and the
dispatcher's notifiers are all built from :data:`CHANNELS`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Union

from pydantic import Field

from grokpipe.api.notifiers import dingtalk, email, feishu, slack, webhook
from grokpipe.api.notifiers.base import Channel, Handle, NotifierSettings

CHANNELS: tuple[Channel[Any], ...] = (
    webhook.CHANNEL,
    dingtalk.CHANNEL,
    slack.CHANNEL,
    email.CHANNEL,
    feishu.CHANNEL,
)

BY_TYPE: dict[str, Channel[Any]] = {c.name: c for c in CHANNELS}
HANDLES: dict[str, Handle] = {h.key: h for c in CHANNELS for h in c.handles}

if TYPE_CHECKING:
    NotifierConfig = NotifierSettings
else:  # a discriminated union: a wrong entry is reported under its type's name (notifiers.x.dingtalk.url)
    NotifierConfig = Annotated[Union[tuple(c.config for c in CHANNELS)], Field(discriminator="type")]  # noqa: UP007

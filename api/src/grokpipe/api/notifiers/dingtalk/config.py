"""``type: dingtalk`` in api.yml's ``notifiers:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from grokpipe.api.notifiers.base import NotifierSettings


class DingTalkNotifier(NotifierSettings):
    type: Literal["dingtalk"]
    url: str  # https://oapi.dingtalk.com/robot/send?access_token=...
    secret: SecretStr | None = None
    at_mobiles: list[str] = Field(default_factory=list)
    at_all: bool = False

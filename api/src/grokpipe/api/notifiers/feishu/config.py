"""``type: feishu`` in api.yml's ``notifiers:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from grokpipe.api.notifiers.base import NotifierSettings


class FeishuNotifier(NotifierSettings):
    type: Literal["feishu"]
    #: https://open.feishu.cn/open-apis/bot/v2/hook/<token> (Lark: open.larksuite.com): the token is the secret
    url: SecretStr
    #: the robot's "signature verification" secret (签名校验); without it the request is not signed
    secret: SecretStr | None = None
    #: Feishu ids (open_id ``ou_...`` or user_id) mentioned in every message, besides the owners
    at_users: list[str] = Field(default_factory=list)
    at_all: bool = False

"""``type: webhook`` in api.yml's ``notifiers:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from grokpipe.api.notifiers.base import NotifierSettings


class WebhookNotifier(NotifierSettings):
    type: Literal["webhook"]
    url: str
    headers: dict[str, SecretStr] = Field(default_factory=dict)

"""``type: slack`` in api.yml's ``notifiers:``."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr

from grokpipe.api.notifiers.base import NotifierSettings


class SlackNotifier(NotifierSettings):
    type: Literal["slack"]
    url: SecretStr  # the incoming-webhook URL is itself the secret
    channel: str | None = None

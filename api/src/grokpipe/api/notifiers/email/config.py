"""``type: email`` in api.yml's ``notifiers:``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from grokpipe.api.notifiers.base import NotifierSettings


class EmailNotifier(NotifierSettings):
    type: Literal["email"]
    host: str
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    to: list[str] = Field(min_length=1)

"""Configuration of one syslog input."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from grokpipe.settings import Section


class SyslogInputSettings(Section):
    type: Literal["syslog"]
    id: str | None = None
    listen: list[str] = Field(min_length=1, description="udp://HOST:PORT, tcp://HOST:PORT, tls://..., unix://PATH")
    dataset: str = Field(default="syslog", pattern=r"^[a-z0-9_.]+$")

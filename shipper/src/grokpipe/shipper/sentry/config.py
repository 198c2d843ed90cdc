"""Configuration of the Sentry input: ``inputs: [{type: sentry, id: sentry, listen: "0.0.0.0:PORT", projects: [...]}]``.

The DSN of a project is ``http://<key>@HOST:PORT/<project id>``; an SDK authenticates with any of the
project's ``keys`` (Sentry's public key; a ``sentry_secret`` sent by old SDKs is ignored).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator, model_validator

from grokpipe.settings import Section
from grokpipe.shipper.spool import SpoolSettings
from grokpipe.shipper.spool.segments import MiB

KEY_PATTERN = r"^[0-9a-f]{32}$"


class SentryProject(Section):
    id: int = Field(ge=1, description="the number at the end of the DSN")
    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$", description="service.name of its events")
    keys: list[str] = Field(min_length=1, description="DSN public keys, 32 lowercase hex digits each")

    @field_validator("keys")
    @classmethod
    def _hex(cls, keys: list[str]) -> list[str]:
        for index, key in enumerate(keys):
            if len(key) != 32 or any(c not in "0123456789abcdef" for c in key):
                raise ValueError(f"keys.{index}: a key is 32 lowercase hex digits (uuid4().hex)")
        return keys


class RateLimit(Section):
    """A token bucket per project over the items that become documents (events, log records,
    check-ins): ``per_second`` on average, bursts of up to ``burst``. Past it: 429."""

    per_second: float = Field(default=200.0, gt=0)
    burst: int = Field(default=2000, ge=1)


class SentryLimits(Section):
    """Sentry's documented size limits (develop.sentry.dev, envelopes: size limits), answered with 413."""

    body_bytes: int = Field(default=20 * MiB, ge=1024, description="a request body as sent (compressed)")
    decompressed_bytes: int = Field(default=100 * MiB, ge=1024, description="a body once decompressed")
    event_bytes: int = Field(default=1 * MiB, ge=1024, description="one event, transaction, log or check-in item")
    items: int = Field(default=1000, ge=1, description="items in one envelope")


class SentryInputSettings(Section):
    type: Literal["sentry"]
    id: str = Field(default="sentry", pattern=r"^[A-Za-z0-9_.-]+$", description="names the spool folder and metrics")
    listen: str = Field(description="HOST:PORT of the HTTP endpoint the DSNs point to")
    projects: list[SentryProject] = Field(min_length=1)
    rate_limit: RateLimit | None = Field(default_factory=RateLimit, description="per project; null: none")
    limits: SentryLimits = Field(default_factory=SentryLimits)
    retry_after: int = Field(default=10, ge=1, le=3600, description="seconds an SDK waits after a full spool's 429")
    idle_timeout: float = Field(default=60.0, gt=0, description="seconds before a silent keep-alive connection closes")
    max_connections: int = Field(default=512, ge=1, description="open connections (a thread each); more are closed")
    tags: list[str] = Field(default_factory=list, description="added to every event")
    spool: SpoolSettings = Field(default_factory=SpoolSettings)

    @property
    def name(self) -> str:
        return self.id

    @property
    def address(self) -> tuple[str, int]:
        host, _, port = self.listen.rpartition(":")
        return host.strip("[]"), int(port)

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        host, sep, port = value.rpartition(":")
        if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("expected HOST:PORT, e.g. 0.0.0.0:8000 (IPv6 as [::]:8000)")
        return value

    @model_validator(mode="after")
    def _distinct(self) -> SentryInputSettings:
        ids = [p.id for p in self.projects]
        if len(set(ids)) != len(ids):
            raise ValueError("projects: each id once")
        names = [p.name for p in self.projects]
        if len(set(names)) != len(names):
            raise ValueError("projects: each name once")
        return self

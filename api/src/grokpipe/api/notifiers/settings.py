"""``delivery:``, ``console:`` and ``owners:`` of api.yml: how notifications are sent, shown and whom they mention,
beside the notifiers that read them."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, field_validator, model_validator

from grokpipe.api.notifiers.channels import HANDLES
from grokpipe.settings import Section


class DeliverySettings(Section):
    timeout: float = Field(default=10.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff: float = Field(default=0.5, ge=0)


class ConsoleSettings(Section):
    """How messages show times and link back to the console."""

    base_url: str | None = Field(
        default=None,
        description="where people open the api (https://grokpipe.example.com); messages link to its /ui pages",
    )
    timezone: str = Field(default="UTC", description="the IANA time zone messages show times in (Asia/Shanghai)")

    @field_validator("base_url")
    @classmethod
    def _url(cls, url: str | None) -> str | None:
        if url is not None and not url.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return url.rstrip("/") if url else url

    @field_validator("timezone")
    @classmethod
    def _zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (an IANA name such as Asia/Shanghai)") from None
        return name


class OwnerContact(Section):
    """A person's handles, one per channel that mentions people (``dingtalk_mobile: "138..."``, ``slack: U123``):
    the keys are the channels' own (:data:`grokpipe.api.notifiers.channels.HANDLES`), an unknown key is an error."""

    model_config = ConfigDict(extra="allow", frozen=True)

    @model_validator(mode="after")
    def _known_handles(self) -> OwnerContact:
        for key, value in (self.model_extra or {}).items():
            if key not in HANDLES:
                raise ValueError(f"{key}: not a channel's handle (one of {', '.join(sorted(HANDLES))})")
            if not isinstance(value, str):
                raise ValueError(f"{key}: a string (quote a number: '13800000000')")
        return self

    def handles(self) -> dict[str, str]:
        return {k: str(v) for k, v in (self.model_extra or {}).items()}

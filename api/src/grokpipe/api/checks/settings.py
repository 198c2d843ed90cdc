"""``checks:`` of api.yml: the checks' own settings, beside the code that reads them."""

from __future__ import annotations

from pydantic import Field, SecretStr, field_validator

from grokpipe.api.checks.sealing import valid_key
from grokpipe.settings import Section


class CheckSettings(Section):
    """Scheduled HTTP checks (``/checks``): their own scheduler and pool, so a slow target delays no rule."""

    enabled: bool = True
    namespace: str = Field(default="default", pattern=r"^[a-z0-9_]+$", description="synthetics-http-<namespace>")
    allow_link_local: bool = Field(default=False, description="allow 169.254.0.0/16, fe80::/10, cloud metadata")
    workers: int = Field(default=8, ge=1, description="checks running at once")
    row_workers: int = Field(default=4, ge=1, description="matrix rows of one run running at once")
    timeout: float = Field(default=10.0, gt=0, description="seconds per request unless a step sets timeout")
    max_response_bytes: int = Field(default=1_048_576, ge=1024, description="read at most this much of a response")
    body_limit: int = Field(default=2048, ge=0, description="characters of a response body kept in results")
    #: keys sealing check secrets in Elasticsearch (``grokpipe api --generate-secrets-key``): the first
    #: seals, all open; none stores them as plain text (the api warns at start)
    secrets_keys: list[SecretStr] = Field(default_factory=list)
    #: checks and reports created at start if none with their ``id`` exists (the example of ``make run``)
    seed: list[dict[str, object]] = Field(default_factory=list)
    reports_seed: list[dict[str, object]] = Field(default_factory=list)

    @field_validator("secrets_keys")
    @classmethod
    def _keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for i, key in enumerate(keys):
            if not valid_key(key.get_secret_value()):
                raise ValueError(f"key {i} is not 32 bytes of URL-safe base64 (grokpipe api --generate-secrets-key)")
        return keys

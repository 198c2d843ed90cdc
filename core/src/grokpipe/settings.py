"""Settings shared by every service: one YAML file, overridable by ``GROKPIPE_<SECTION>__<KEY>``.

Each service declares its own root model by subclassing :class:`ServiceSettings`; the sections
every service shares (``kafka``, ``elasticsearch``, ``http``) are declared here once so that the
configs, the compose stack and the docs agree on their names.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Annotated, Any, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, PydanticBaseSettingsSource, SettingsConfigDict, SettingsError


class ConfigError(Exception):
    """A configuration file or environment override is invalid; the message names the key path."""

    retriable = False


def _split_list(value: Any) -> Any:
    """Lists from the environment: JSON (``["a:1","b:2"]``) or comma-separated (``a:1,b:2``)."""
    if isinstance(value, str):
        if value.lstrip().startswith("["):
            return json.loads(value)
        return [part.strip() for part in value.split(",") if part.strip()]
    return value


#: A list of strings that may come from one environment variable.
StrList = Annotated[list[str], NoDecode]


class Section(BaseModel):
    """Base of every config section: unknown keys are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class KafkaSettings(Section):
    bootstrap_servers: StrList = Field(default_factory=lambda: ["127.0.0.1:9092"], min_length=1)
    topic: str = "logs.raw"
    group_id: str = "grokpipe-indexer"
    client_id: str = "grokpipe"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: SecretStr | None = None
    ssl_cafile: Path | None = None

    _split = field_validator("bootstrap_servers", mode="before")(_split_list)


class ElasticsearchSettings(Section):
    hosts: StrList = Field(default_factory=lambda: ["http://127.0.0.1:9200"], min_length=1)
    api_key: SecretStr | None = None
    username: str | None = None
    password: SecretStr | None = None
    ca_certs: Path | None = None
    verify_certs: bool = True
    request_timeout: float = Field(default=30.0, gt=0)

    _split = field_validator("hosts", mode="before")(_split_list)


class HttpSettings(Section):
    listen: str = "127.0.0.1:5066"

    @field_validator("listen")
    @classmethod
    def _host_port(cls, value: str) -> str:
        _, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 <= int(port) <= 65535:
            raise ValueError("expected HOST:PORT, e.g. 127.0.0.1:5066")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class ServiceSettings(BaseSettings):
    """Root of a service's config. Environment variables win over the YAML file, key by key."""

    model_config = SettingsConfigDict(
        env_prefix="GROKPIPE_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)

    @classmethod
    def load(cls, path: Path | str | None = None, **overrides: Any) -> Self:
        """Read ``path`` (YAML), apply environment overrides, validate; raise :class:`ConfigError`."""
        data: dict[str, Any] = {}
        if path is not None:
            data = read_yaml(Path(path))
        data.update(overrides)
        try:
            return cls(**data)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, source=str(path or "environment"))) from None
        except SettingsError as exc:
            cause = f": {exc.__cause__}" if exc.__cause__ else ""
            raise ConfigError(f"invalid environment override: {exc}{cause}") from None


def read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    try:
        data = yaml.safe_load(os.path.expandvars(text))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: the top level must be a mapping of sections, got {type(data).__name__}")
    return data


def format_validation_error(exc: ValidationError, source: str) -> str:
    """One line per problem, each naming the dotted key path (``inputs.0.paths``) and the reason."""
    lines = [f"invalid configuration in {source}:"]
    for err in exc.errors():
        path = ".".join(str(part) for part in err["loc"]) or "(top level)"
        reason = err["msg"]
        if err["type"] == "extra_forbidden":
            reason = "unknown key"
        lines.append(f"  {path}: {reason}")
    return "\n".join(lines)

"""``ApiSettings``: the api's YAML config (``grokpipe api -c api.yml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, SecretStr, model_validator

from grokpipe.settings import ElasticsearchSettings, HttpSettings, Section, ServiceSettings


class ApiHttpSettings(HttpSettings):
    listen: str = "127.0.0.1:8000"


class AuthSettings(Section):
    """API keys sent in the ``X-API-Key`` header. Admin keys may write; read keys may only read."""

    admin_keys: list[SecretStr] = Field(default_factory=list)
    read_keys: list[SecretStr] = Field(default_factory=list)


class WebhookNotifier(Section):
    type: Literal["webhook"]
    url: str
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    template: str | None = None


class DingTalkNotifier(Section):
    type: Literal["dingtalk"]
    url: str  # https://oapi.dingtalk.com/robot/send?access_token=...
    secret: SecretStr | None = None
    at_mobiles: list[str] = Field(default_factory=list)
    at_all: bool = False
    template: str | None = None


class SlackNotifier(Section):
    type: Literal["slack"]
    url: SecretStr  # the incoming-webhook URL is itself the secret
    channel: str | None = None
    template: str | None = None


class EmailNotifier(Section):
    type: Literal["email"]
    host: str
    port: int = 25
    security: Literal["none", "starttls", "ssl"] = "none"
    username: str | None = None
    password: SecretStr | None = None
    sender: str
    to: list[str] = Field(min_length=1)
    template: str | None = None


Notifier = Annotated[
    WebhookNotifier | DingTalkNotifier | SlackNotifier | EmailNotifier,
    Field(discriminator="type"),
]


class DeliverySettings(Section):
    timeout: float = Field(default=10.0, gt=0)
    retries: int = Field(default=3, ge=0)
    backoff: float = Field(default=0.5, ge=0)


class SchedulerSettings(Section):
    enabled: bool = True
    workers: int = Field(default=16, ge=1)
    tick: float = Field(default=1.0, gt=0)
    lease_seconds: float = Field(default=300.0, gt=0)
    replica_id: str | None = None
    rules_refresh: float = Field(default=10.0, gt=0)


class IndicesSettings(Section):
    rules: str = "grokpipe-rules"
    alerts: str = "grokpipe-alerts"
    state: str = "grokpipe-rule-state"
    digests: str = "grokpipe-digests"
    error_groups: str = "grokpipe-error-groups"


class ApiSettings(ServiceSettings):
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    http: ApiHttpSettings = Field(default_factory=ApiHttpSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notifiers: dict[str, Notifier] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    indices: IndicesSettings = Field(default_factory=IndicesSettings)
    #: rules created at start if no rule with their ``id`` exists (the example rule of ``make run``)
    rules_seed: list[dict[str, object]] = Field(default_factory=list)
    #: mount ``/sink/webhook``, a built-in receiver for demos
    dev_sink: bool = False
    #: ``make run`` passes a data dir to every service; the api keeps its state in Elasticsearch
    data_dir: str | None = None
    log_level: str = "INFO"

    @model_validator(mode="after")
    def _keys_required(self) -> ApiSettings:
        if not self.auth.admin_keys:
            raise ValueError("auth.admin_keys: at least one admin API key is required")
        return self

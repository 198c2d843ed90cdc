"""``ApiSettings``: the api's YAML config (``grokpipe api -c api.yml``), composed of the features' own settings.

Wiring, not a feature: each section's model lives with the code that reads it (``checks/settings.py``,
``groups/settings.py``, ``kernel/settings.py``...) and features are handed their section, never this whole model,
so no feature imports this module. What stays here: the api's listen address, the sections' keys and defaults,
and the checks that span sections.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from grokpipe.api.checks.settings import CheckSettings
from grokpipe.api.groups.settings import BlameSettings, ErrorGroupSettings
from grokpipe.api.kernel.settings import AuthSettings, IndicesSettings, SchedulerSettings
from grokpipe.api.monitors.settings import MonitorSettings
from grokpipe.api.notifiers.channels import NotifierConfig
from grokpipe.api.notifiers.people import People
from grokpipe.api.notifiers.settings import ConsoleSettings, DeliverySettings, OwnerContact
from grokpipe.api.patterns.settings import PatternSettings
from grokpipe.settings import ElasticsearchSettings, HttpSettings, ServiceSettings


class ApiHttpSettings(HttpSettings):
    listen: str = "127.0.0.1:8000"


class ApiSettings(ServiceSettings):
    elasticsearch: ElasticsearchSettings = Field(default_factory=ElasticsearchSettings)
    http: ApiHttpSettings = Field(default_factory=ApiHttpSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    notifiers: dict[str, NotifierConfig] = Field(default_factory=dict)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    indices: IndicesSettings = Field(default_factory=IndicesSettings)
    errors: ErrorGroupSettings = Field(default_factory=ErrorGroupSettings)
    patterns: PatternSettings = Field(default_factory=PatternSettings)
    blame: BlameSettings = Field(default_factory=BlameSettings)
    checks: CheckSettings = Field(default_factory=CheckSettings)
    monitors: MonitorSettings = Field(default_factory=MonitorSettings)
    console: ConsoleSettings = Field(default_factory=ConsoleSettings)
    #: commit author e-mail -> who to @-mention in digests and error notifications
    owners: dict[str, OwnerContact] = Field(default_factory=dict)
    #: rules created at start if no rule with their ``id`` exists (the example rule of ``make run``)
    rules_seed: list[dict[str, object]] = Field(default_factory=list)
    #: digests created at start if no digest with their ``id`` exists
    digests_seed: list[dict[str, object]] = Field(default_factory=list)
    #: mount ``/sink/webhook``, a built-in receiver for demos
    dev_sink: bool = False
    #: ``make run`` passes a data dir to every service; the api keeps its state in Elasticsearch
    data_dir: str | None = None
    log_level: str = "INFO"

    def people(self) -> People:
        """``owners:`` as the notifiers resolve them."""
        return People({email: contact.handles() for email, contact in self.owners.items()})

    @model_validator(mode="after")
    def _keys_required(self) -> ApiSettings:
        if not self.auth.admin_keys:
            raise ValueError("auth.admin_keys: at least one admin API key is required")
        unknown = sorted(set(self.monitors.notify) - set(self.notifiers))
        if unknown:
            raise ValueError(f"monitors.notify: unknown notifiers {', '.join(unknown)} (not under notifiers:)")
        return self

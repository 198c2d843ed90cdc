"""The sections of api.yml more than one unit reads: ``indices:`` (every feature's index), ``scheduler:`` (every
scheduled job), ``auth:`` (the api keys of ``deps`` and the console's login). In the kernel, below the features, so
none of them imports the api's config (:mod:`grokpipe.api.config` composes these with the features' own)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, SecretStr

from grokpipe.settings import Section


class IndicesSettings(Section):
    rules: str = "grokpipe-rules"
    alerts: str = "grokpipe-alerts"
    state: str = "grokpipe-rule-state"
    digests: str = "grokpipe-digests"
    error_groups: str = "grokpipe-error-groups"
    checks: str = "grokpipe-checks"
    reports: str = "grokpipe-reports"
    searches: str = "grokpipe-searches"
    sessions: str = "grokpipe-console-sessions"  # console sessions ended by logout (grokpipe.api.sessions)
    monitors: str = "grokpipe-monitors"
    patterns: str = "grokpipe-patterns"


class SchedulerSettings(Section):
    enabled: bool = True
    workers: int = Field(default=16, ge=1)
    tick: float = Field(default=1.0, gt=0)
    lease_seconds: float = Field(default=300.0, gt=0)
    replica_id: str | None = None
    rules_refresh: float = Field(default=10.0, gt=0)
    #: how due rules that share index, time field and window end are evaluated: "filters", one search
    #: with a ``filters`` bucket per distinct query (each rule's own aggregations under its bucket);
    #: "msearch", one ``_msearch`` of every rule's own search; "single", one search per rule.
    rule_grouping: Literal["filters", "msearch", "single"] = "filters"
    #: at most this many distinct queries in one grouped search (rules in one ``_msearch``)
    rule_batch: int = Field(default=100, ge=1, le=1000)


class AuthSettings(Section):
    """API keys sent in the ``X-API-Key`` header. Admin keys may write; read keys may only read."""

    admin_keys: list[SecretStr] = Field(default_factory=list)
    read_keys: list[SecretStr] = Field(default_factory=list)
    #: wrong keys (X-API-Key or the console's login) one address may send within ``failed_window`` seconds;
    #: past that, every key from it gets 429 until the oldest failure leaves the window (grokpipe.api.attempts)
    failed_attempts: int = Field(default=10, ge=1)
    failed_window: float = Field(default=60.0, gt=0)

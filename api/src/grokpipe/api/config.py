"""``ApiSettings``: the api's YAML config (``grokpipe api -c api.yml``)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator

from grokpipe.api.checks.sealing import valid_key
from grokpipe.api.kernel.durations import Duration
from grokpipe.api.notifiers.channels import HANDLES, NotifierConfig
from grokpipe.api.notifiers.people import People
from grokpipe.settings import ElasticsearchSettings, HttpSettings, Section, ServiceSettings


class ApiHttpSettings(HttpSettings):
    listen: str = "127.0.0.1:8000"


class AuthSettings(Section):
    """API keys sent in the ``X-API-Key`` header. Admin keys may write; read keys may only read."""

    admin_keys: list[SecretStr] = Field(default_factory=list)
    read_keys: list[SecretStr] = Field(default_factory=list)
    #: wrong keys (X-API-Key or the console's login) one address may send within ``failed_window`` seconds;
    #: past that, every key from it gets 429 until the oldest failure leaves the window (grokpipe.api.attempts)
    failed_attempts: int = Field(default=10, ge=1)
    failed_window: float = Field(default=60.0, gt=0)


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
    #: how due rules that share index, time field and window end are evaluated: "filters", one search
    #: with a ``filters`` bucket per distinct query (each rule's own aggregations under its bucket);
    #: "msearch", one ``_msearch`` of every rule's own search; "single", one search per rule.
    rule_grouping: Literal["filters", "msearch", "single"] = "filters"
    #: at most this many distinct queries in one grouped search (rules in one ``_msearch``)
    rule_batch: int = Field(default=100, ge=1, le=1000)


class IndicesSettings(Section):
    rules: str = "grokpipe-rules"
    alerts: str = "grokpipe-alerts"
    state: str = "grokpipe-rule-state"
    digests: str = "grokpipe-digests"
    error_groups: str = "grokpipe-error-groups"
    checks: str = "grokpipe-checks"
    reports: str = "grokpipe-reports"
    searches: str = "grokpipe-searches"
    sessions: str = "grokpipe-console-sessions"  # console sessions ended by logout (grokpipe.api.console.revoked)
    monitors: str = "grokpipe-monitors"
    patterns: str = "grokpipe-patterns"


class BlameRepo(Section):
    """Files logged under ``path_prefix`` live in this repository at the same relative path.

    git: ``checkout`` is a local clone. svn: ``checkout`` is a working copy, or ``url`` the repository
    (``svn://``, ``https://``). An svn password is never written here: ``password_file`` or ``password_env``
    names where it is, and it reaches ``svn`` on its standard input (``--password-from-stdin``).
    """

    path_prefix: str = Field(min_length=1)
    vcs: Literal["git", "svn"] = "git"
    checkout: Path | None = None
    url: str | None = None
    username: str | None = None
    password_file: Path | None = None
    password_env: str | None = None

    @model_validator(mode="after")
    def _source(self) -> BlameRepo:
        if self.vcs == "git":
            if self.checkout is None:
                raise ValueError("checkout: a git repository needs its local clone")
            extra = [k for k in ("url", "username", "password_file", "password_env") if getattr(self, k)]
            if extra:
                raise ValueError(f"{extra[0]}: only for vcs: svn (git blame reads the local clone)")
            return self
        if (self.checkout is None) == (self.url is None):
            raise ValueError("svn: give either checkout (a working copy) or url (the repository), not both")
        if self.password_file and self.password_env:
            raise ValueError("password_file and password_env: give one")
        if (self.password_file or self.password_env) and not self.username:
            raise ValueError("username: needed with password_file or password_env")
        return self


class BlameSettings(Section):
    repos: list[BlameRepo] = Field(default_factory=list)
    timeout: float = Field(default=5.0, gt=0, description="seconds one git or svn command may take")
    #: svn records a user name only: author -> e-mail (``ann: ann@example.com``) or ``Name <e-mail>``
    authors: dict[str, str] = Field(default_factory=dict)
    refresh_limit: int = Field(default=500, ge=1, description="groups whose owner one refresh pass recomputes")
    revision_ttl: float = Field(default=60.0, ge=0, description="seconds a repository's revision is reused")


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


class ErrorGroupSettings(Section):
    enabled: bool = True
    index: str = Field(default="logs-*", description="where events with error.grouping_key are")
    sync_interval: float = Field(default=10.0, gt=0, description="seconds between group-store updates")
    settle: float = Field(
        default=60.0,
        ge=1,
        description="seconds after event.ingested by which an event is searchable (a bulk request's duration "
        "+ the refresh interval + clock skew between indexer and api); counts before it are stored",
    )
    reconcile_interval: float = Field(
        default=600.0, gt=0, description="seconds between checks of every stored count against Elasticsearch"
    )
    max_events_per_pass: int = Field(
        default=200_000, ge=100, description="events one pass reads; a backlog is worked off over several"
    )
    notify: list[str] = Field(default_factory=list, description="notifiers for new and regressed groups")
    notify_levels: list[str] = Field(default_factory=list, description="only groups of these levels (empty: all)")
    realert: Duration = Field(default="1h", description="at most one new/regressed notification per group per")


class PatternSettings(Section):
    """The pattern store (``/patterns``): every ``log.pattern.key`` of ``index`` in a pattern with a stable id."""

    enabled: bool = True
    index: str = Field(default="logs-*", description="where events with log.pattern.key are")
    sync_interval: float = Field(default=5.0, gt=0, description="seconds between pattern-store updates")
    settle: float = Field(
        default=10.0,
        ge=1,
        description="seconds after event.ingested by which an event is searchable (a bulk request + the refresh "
        "interval + clock skew between indexer and api); a pass reads the events older than that, so a new key "
        "is in its pattern about settle + sync_interval after its first event",
    )
    max_events_per_pass: int = Field(
        default=200_000, ge=100, description="events one pass reads; a backlog is worked off over several"
    )
    page_size: int = Field(
        default=10_000,
        ge=100,
        le=10_000,
        description="events read per search (at most index.max_result_window): on a server whose searches scan "
        "the index, each page costs a scan",
    )
    max_patterns: int = Field(
        default=20_000, ge=10, description="patterns kept; keys matching none past it count in one overflow pattern"
    )
    max_keys_per_pattern: int = Field(
        default=1_000, ge=1, description="keys a pattern lists; more are counted in its total, not in its windows"
    )
    candidates: int = Field(
        default=200, ge=1, description="patterns of the same length a new key is compared with (most recent first)"
    )


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


class MonitorSettings(Section):
    """Cron monitors (``/monitors``): evaluated every ``every`` seconds, a lease per monitor."""

    enabled: bool = True
    every: float = Field(default=30.0, ge=1, description="seconds between evaluations of each monitor")
    #: notifiers of the monitors a first check-in creates (a monitor's own ``notify`` replaces it)
    notify: list[str] = Field(default_factory=list)


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

"""``errors:`` and ``blame:`` of api.yml: the error groups' own settings, beside the code that reads them."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator

from grokpipe.api.kernel.durations import Duration
from grokpipe.settings import Section


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

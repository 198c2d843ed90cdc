"""The owner of an error: the author of its culprit line, from ``git blame`` or ``svn blame``.

No configured repository, no git or svn, a file outside the repository, a line past its end, a wrong
password: the owner is unknown (None), never an error; a repository that cannot answer is logged
once (until it answers again), not once per event. Answers are cached per repository, revision, file
and line (bounded), and the revision is asked again every ``blame.revision_ttl`` seconds, so a deploy (a new
HEAD) asks again and a busy group asks once. :meth:`Blame.stamp` names what an owner was computed
from: a group whose stored stamp differs (new revision, changed ``blame`` config) is looked up again.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections import OrderedDict
from pathlib import Path

from grokpipe.api.groups.git import GitRepository, parse_porcelain
from grokpipe.api.groups.schemas import Owner
from grokpipe.api.groups.settings import BlameRepo, BlameSettings
from grokpipe.api.groups.svn import SvnRepository
from grokpipe.api.groups.vcs import BlameUnavailable, Repository

__all__ = ["Blame", "parse_porcelain"]

log = logging.getLogger(__name__)

#: owners kept in memory (file, line and revision each)
CACHE_SIZE = 10_000


def repository(repo: BlameRepo, settings: BlameSettings) -> Repository:
    if repo.vcs == "svn":
        return SvnRepository(repo, settings.timeout, settings.authors)
    assert repo.checkout is not None  # the config validator requires it for git
    return GitRepository(repo.checkout, settings.timeout)


class Blame:
    def __init__(self, settings: BlameSettings, *, head_ttl: float | None = None, cache_size: int = CACHE_SIZE) -> None:
        # Longest prefix first, so a nested repository wins over its parent.
        ordered = sorted(settings.repos, key=lambda r: len(r.path_prefix), reverse=True)
        self._repos = [(r.path_prefix, repository(r, settings)) for r in ordered]
        self._config = hashlib.sha256(
            settings.model_dump_json(exclude={"refresh_limit", "revision_ttl"}).encode()
        ).hexdigest()[:8]
        self._head_ttl = settings.revision_ttl if head_ttl is None else head_ttl
        self._heads: dict[str, tuple[float, str | None]] = {}
        self._cache: OrderedDict[tuple[str, str, str, int], Owner | None] = OrderedDict()
        self._cache_size = cache_size
        self._failing: dict[str, str] = {}  # repository identity -> the reason last logged
        self._lock = threading.Lock()

    def _where(self, file: str | None) -> tuple[Repository, str] | None:
        if not file:
            return None
        found = next(((prefix, repo) for prefix, repo in self._repos if file.startswith(prefix)), None)
        if found is None:
            return None
        relative = file[len(found[0]) :].lstrip("/")
        if not relative or ".." in Path(relative).parts:
            return None
        return found[1], relative

    def _unavailable(self, repo: Repository, exc: BlameUnavailable) -> None:
        with self._lock:
            if self._failing.get(repo.identity) == exc.reason:
                return
            self._failing[repo.identity] = exc.reason
        log.warning("owners unknown: blame unavailable", extra={"repository": repo.identity, "reason": exc.reason})

    def _answered(self, repo: Repository) -> None:
        with self._lock:
            was = self._failing.pop(repo.identity, None)
        if was is not None:
            log.info("blame answers again", extra={"repository": repo.identity})

    def _revision(self, repo: Repository) -> str | None:
        now = time.monotonic()
        with self._lock:
            cached = self._heads.get(repo.identity)
        if cached and now - cached[0] < self._head_ttl:
            return cached[1]
        try:
            head: str | None = repo.revision()
            self._answered(repo)
        except BlameUnavailable as exc:
            self._unavailable(repo, exc)
            head = None
        with self._lock:
            self._heads[repo.identity] = (now, head)
        return head

    def generation(self) -> str:
        """Changes when the ``blame`` config or any repository's revision does."""
        return self._config + "".join(f":{self._revision(repo) or '?'}" for _, repo in self._repos)

    def stamp(self, file: str | None) -> str:
        """What an owner of ``file`` is computed from now: the ``blame`` config and the repository revision."""
        where = self._where(file)
        if where is None:
            return f"{self._config}:-"
        return f"{self._config}:{self._revision(where[0]) or '?'}"

    def owner(self, file: str | None, line: int | None) -> Owner | None:
        if not line or line < 1:
            return None
        where = self._where(file)
        if where is None:
            return None
        repo, relative = where
        revision = self._revision(repo)
        if revision is None:
            return None
        key = (repo.identity, revision, relative, line)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        try:
            owner = repo.blame(relative, line, revision)
            self._answered(repo)
        except BlameUnavailable as exc:  # not cached: asked again once the repository answers
            self._unavailable(repo, exc)
            return None
        if owner is not None:
            owner = owner.model_copy(update={"file": file, "line": line})
        with self._lock:
            self._cache[key] = owner
            while len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return owner

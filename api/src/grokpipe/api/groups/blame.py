"""The owner of an error: the author of its culprit line, from ``git blame`` in a local checkout.

No configured checkout, no git, a file outside the repository, a line past its end: the owner is
unknown (None), never an error. Answers are cached per checkout HEAD, file and line, so a deploy
(a new HEAD) asks again and a busy group asks once.
"""

from __future__ import annotations

import logging
import subprocess
import threading
from datetime import UTC, datetime
from pathlib import Path

from grokpipe.api.config import BlameSettings
from grokpipe.api.groups.schemas import Owner

log = logging.getLogger(__name__)


def parse_porcelain(text: str) -> Owner | None:
    """The first commit block of ``git blame --porcelain`` output."""
    lines = text.splitlines()
    if not lines or len(lines[0].split()) < 3:
        return None
    commit = lines[0].split()[0]
    fields: dict[str, str] = {}
    for line in lines[1:]:
        if line.startswith("\t"):
            break
        key, _, value = line.partition(" ")
        fields[key] = value
    if "author" not in fields:
        return None
    email = fields.get("author-mail", "").strip("<>")
    date = None
    if fields.get("author-time", "").isdigit():
        date = datetime.fromtimestamp(int(fields["author-time"]), UTC)
    if set(commit) == {"0"}:  # uncommitted line
        return None
    return Owner(name=fields["author"], email=email, commit=commit, date=date)


class Blame:
    def __init__(self, settings: BlameSettings, *, head_ttl: float = 60.0) -> None:
        # Longest prefix first, so a nested repository wins over its parent.
        self._repos = sorted(settings.repos, key=lambda r: len(r.path_prefix), reverse=True)
        self._timeout = settings.timeout
        self._head_ttl = head_ttl
        self._heads: dict[Path, tuple[float, str | None]] = {}
        self._cache: dict[tuple[Path, str, str, int], Owner | None] = {}
        self._lock = threading.Lock()

    def _git(self, checkout: Path, *args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(checkout), *args],
                capture_output=True,
                text=True,
                timeout=self._timeout,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            log.warning("git failed", extra={"error.type": type(exc).__name__, "checkout": str(checkout)})
            return None
        return done.stdout if done.returncode == 0 else None

    def _head(self, checkout: Path) -> str | None:
        import time

        now = time.monotonic()
        with self._lock:
            cached = self._heads.get(checkout)
        if cached and now - cached[0] < self._head_ttl:
            return cached[1]
        out = self._git(checkout, "rev-parse", "HEAD")
        head = out.strip() if out else None
        with self._lock:
            self._heads[checkout] = (now, head)
        return head

    def owner(self, file: str | None, line: int | None) -> Owner | None:
        if not file or not line or line < 1:
            return None
        repo = next((r for r in self._repos if file.startswith(r.path_prefix)), None)
        if repo is None:
            return None
        relative = file[len(repo.path_prefix) :].lstrip("/")
        if not relative or ".." in Path(relative).parts:
            return None
        head = self._head(repo.checkout)
        if head is None:
            return None
        key = (repo.checkout, head, relative, line)
        with self._lock:
            if key in self._cache:
                return self._cache[key]
        out = self._git(repo.checkout, "blame", "--porcelain", "-L", f"{line},{line}", head, "--", relative)
        owner = parse_porcelain(out) if out else None
        if owner is not None:
            owner = owner.model_copy(update={"file": file, "line": line})
        with self._lock:
            self._cache[key] = owner
        return owner

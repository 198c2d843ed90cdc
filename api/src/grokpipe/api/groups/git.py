"""Owners from ``git blame --porcelain`` in a local clone, at its HEAD."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from grokpipe.api.groups.schemas import Owner
from grokpipe.api.groups.vcs import BlameUnavailable, run


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


class GitRepository:
    def __init__(self, checkout: Path, timeout: float) -> None:
        self.checkout = checkout
        self.timeout = timeout
        self.identity = f"git:{checkout}"

    def _git(self, *args: str) -> str | None:
        done = run(["git", "-C", str(self.checkout), *args], timeout=self.timeout)
        return done.stdout if done.returncode == 0 else None

    def revision(self) -> str:
        out = self._git("rev-parse", "HEAD")
        if not out:
            raise BlameUnavailable(f"{self.checkout} is not a git clone with a commit")
        return out.strip()

    def blame(self, relative: str, line: int, revision: str) -> Owner | None:
        out = self._git("blame", "--porcelain", "-L", f"{line},{line}", revision, "--", relative)
        return parse_porcelain(out) if out else None

"""Owners from ``svn blame --xml`` of a working copy or a repository URL, at one revision.

Every command runs ``--non-interactive --no-auth-cache`` with its own empty ``--config-dir`` (no user
config, no stored credentials, no keyring); the password, read from ``password_file`` or
``password_env`` when the command runs, goes to ``--password-from-stdin``, never on a command line
another user could read. svn records a user name only: ``blame.authors`` maps it to an e-mail.
"""

from __future__ import annotations

import os
import tempfile
import urllib.parse
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from datetime import datetime
from email.utils import parseaddr
from pathlib import Path

from grokpipe.api.groups.schemas import Owner
from grokpipe.api.groups.settings import BlameRepo
from grokpipe.api.groups.vcs import BlameUnavailable, run


def parse_blame_xml(text: str, line: int, authors: Mapping[str, str]) -> Owner | None:
    """The author of ``line`` in ``svn blame --xml`` output (None: no such line, or not committed)."""
    try:
        root = ET.fromstring(text)  # noqa: S314  # svn writes this XML itself (author names escaped, no DTD)
    except ET.ParseError:
        return None
    for entry in root.iter("entry"):
        if entry.get("line-number") != str(line):
            continue
        commit = entry.find("commit")
        if commit is None:  # a local modification of the working copy
            return None
        author = commit.findtext("author") or ""
        name, email = parseaddr(authors.get(author, ""))
        if not email and "@" in authors.get(author, ""):
            email = authors[author]
        stamp = commit.findtext("date")
        date = datetime.fromisoformat(stamp.replace("Z", "+00:00")) if stamp else None
        return Owner(name=name or author, email=email, commit=f"r{commit.get('revision')}", date=date)
    return None


class SvnRepository:
    def __init__(self, repo: BlameRepo, timeout: float, authors: Mapping[str, str]) -> None:
        self.repo = repo
        self.timeout = timeout
        self.authors = authors
        where = repo.url or str(repo.checkout)
        self.identity = f"svn:{where}:{repo.username or ''}"
        self._where = where
        self._config_dir: str | None = None

    def _password(self) -> str | None:
        repo = self.repo
        if repo.password_file is not None:
            try:
                return repo.password_file.read_text().rstrip("\r\n")
            except OSError as exc:
                raise BlameUnavailable(f"password_file {repo.password_file}: {exc.strerror}") from None
        if repo.password_env is not None:
            value = os.environ.get(repo.password_env)
            if value is None:
                raise BlameUnavailable(f"password_env {repo.password_env} is not set")
            return value
        return None

    def _svn(self, *args: str) -> str:
        if self._config_dir is None:  # empty: no ~/.subversion, no servers file, no cached credentials
            self._config_dir = tempfile.mkdtemp(prefix="grokpipe-svn-")
        command = [
            "svn",
            *args,
            "--non-interactive",
            "--no-auth-cache",
            "--config-dir",
            self._config_dir,
            "--config-option",
            "config:auth:password-stores=",
        ]
        password = self._password()
        if self.repo.username:
            command += ["--username", self.repo.username]
        if password is not None:
            command.append("--password-from-stdin")
        env = os.environ | {"LC_ALL": "C"}  # svn's messages in English, as matched below
        done = run(command, timeout=self.timeout, stdin=None if password is None else password + "\n", env=env)
        if done.returncode == 0:
            return done.stdout
        error = done.stderr.strip().splitlines()
        last = error[-1] if error else f"svn {args[0]} failed"
        if "E170001" in done.stderr or "E215004" in done.stderr:  # authentication refused / not possible
            user = self.repo.username or "(no username)"
            raise BlameUnavailable(f"svn refused the credentials of {user} for {self._where}")
        if "E170013" in done.stderr or "E210" in done.stderr:  # unable to connect
            raise BlameUnavailable(f"svn cannot reach {self._where}: {last}")
        raise _NotFound(last)

    def revision(self) -> str:
        try:
            out = self._svn("info", "--show-item", "revision", self._where).strip()
        except _NotFound as exc:
            raise BlameUnavailable(f"svn info {self._where}: {exc}") from None
        if not out.isdigit():
            raise BlameUnavailable(f"svn info {self._where}: no revision")
        return out

    def blame(self, relative: str, line: int, revision: str) -> Owner | None:
        if self.repo.url:
            target = f"{self.repo.url.rstrip('/')}/{urllib.parse.quote(relative)}@{revision}"
        else:
            target = f"{Path(str(self.repo.checkout)) / relative}@{revision}"
        try:
            out = self._svn("blame", "--xml", "-r", revision, target)
        except _NotFound:
            return None  # no such file at that revision
        return parse_blame_xml(out, line, self.authors)


class _NotFound(Exception):
    """svn answered, but not with what was asked (no such path or revision)."""

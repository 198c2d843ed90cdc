"""Owners from a real ``svnserve`` with a password-protected repository: by URL and by working copy,
credentials from a file or an environment variable, a new revision, a wrong password."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from support.git import php_lines
from support.svn import USERS, SvnServer, svn_server

from grokpipe.api.groups.blame import Blame
from grokpipe.api.groups.settings import BlameSettings

PREFIX = "/home/wwwroot/api.example.com/"
AUTHORS = {"ann": "Ann Lee <ann@example.com>", "bob": "bob@example.com"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[SvnServer]:
    with svn_server(tmp_path) as svn:
        svn.commit("ann", {"app/Controller.php": php_lines(60)})
        yield svn


def settings(**repo: object) -> BlameSettings:
    return BlameSettings.model_validate(
        {"repos": [{"path_prefix": PREFIX, "vcs": "svn", "username": "ann"} | repo], "authors": AUTHORS}
    )


def test_owner_by_url_with_a_password_file_follows_new_revisions(server: SvnServer, tmp_path: Path) -> None:
    secret = tmp_path / "svn-password"
    secret.write_text(USERS["ann"] + "\n")
    secret.chmod(0o600)
    blame = Blame(settings(url=server.url, password_file=str(secret)), head_ttl=0)

    ann = blame.owner(PREFIX + "app/Controller.php", 57)
    assert ann is not None
    assert (ann.name, ann.email, ann.commit) == ("Ann Lee", "ann@example.com", "r1")
    assert ann.date is not None
    assert ann.file == PREFIX + "app/Controller.php"

    server.commit("bob", {"app/Controller.php": php_lines(60, {57: "$z = broken();"})})
    bob = blame.owner(PREFIX + "app/Controller.php", 57)
    assert bob is not None
    assert (bob.name, bob.email, bob.commit) == ("bob", "bob@example.com", "r2")
    still_ann = blame.owner(PREFIX + "app/Controller.php", 10)
    assert still_ann is not None
    assert still_ann.email == "ann@example.com"
    assert blame.owner(PREFIX + "app/Missing.php", 1) is None
    assert blame.owner(PREFIX + "app/Controller.php", 999) is None


def test_owner_from_a_working_copy_at_its_revision_with_a_password_in_the_environment(
    server: SvnServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wc = server.checkout("ann", tmp_path / "deployed")
    server.commit("bob", {"app/Controller.php": php_lines(60, {57: "$z = broken();"})})
    monkeypatch.setenv("SVN_BLAME_PASSWORD", USERS["ann"])
    blame = Blame(settings(checkout=str(wc), password_env="SVN_BLAME_PASSWORD"), head_ttl=0)
    deployed = blame.owner(PREFIX + "app/Controller.php", 57)
    assert deployed is not None
    assert deployed.commit == "r1"  # what the working copy runs, not the repository's newest revision
    server.update("ann", wc)  # the deploy
    updated = blame.owner(PREFIX + "app/Controller.php", 57)
    assert updated is not None
    assert (updated.commit, updated.email) == ("r2", "bob@example.com")


def test_a_wrong_password_leaves_the_owner_unknown_with_one_clear_warning(
    server: SvnServer, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = tmp_path / "svn-password"
    secret.write_text("not-the-password\n")
    blame = Blame(settings(url=server.url, password_file=str(secret)), head_ttl=0)
    with caplog.at_level(logging.WARNING, logger="grokpipe.api.groups.blame"):
        for line in (1, 2, 3, 57):
            assert blame.owner(PREFIX + "app/Controller.php", line) is None
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert warnings[0].reason == f"svn refused the credentials of ann for {server.url}"  # type: ignore[attr-defined]
    assert "not-the-password" not in caplog.text

    secret.write_text(USERS["ann"] + "\n")  # fixed: answers again, without a restart
    assert blame.owner(PREFIX + "app/Controller.php", 57) is not None


def test_no_password_configured_is_refused_by_the_server_not_prompted(server: SvnServer) -> None:
    blame = Blame(settings(url=server.url), head_ttl=0)
    assert blame.owner(PREFIX + "app/Controller.php", 57) is None


@pytest.mark.parametrize(
    ("repo", "message"),
    [
        ({"vcs": "svn"}, "either checkout"),
        ({"vcs": "svn", "url": "svn://h", "checkout": "/w"}, "either checkout"),
        ({"vcs": "svn", "url": "svn://h", "password_file": "/p", "password_env": "P", "username": "u"}, "give one"),
        ({"vcs": "svn", "url": "svn://h", "password_env": "P"}, "username"),
        ({"checkout": "/w", "url": "svn://h"}, "only for vcs: svn"),
        ({"vcs": "svn", "url": "svn://h", "password": "x"}, "Extra inputs"),
    ],
)
def test_blame_repo_config_is_checked(repo: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BlameSettings.model_validate({"repos": [{"path_prefix": PREFIX} | repo]})

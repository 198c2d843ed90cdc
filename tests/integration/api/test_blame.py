"""Owners from a real git repository: the author of the culprit line, per line and per HEAD."""

from __future__ import annotations

from pathlib import Path

from support.git import commit, php_lines

from grokpipe.api.groups.blame import Blame
from grokpipe.api.groups.settings import BlameSettings

PREFIX = "/home/wwwroot/api.example.com/"


def test_owner_is_the_author_of_the_line_and_follows_new_commits(tmp_path: Path) -> None:
    repo = tmp_path / "api"
    first = commit(repo, {"app/Controller.php": php_lines(60)}, "Alice", "alice@example.com")
    commit(repo, {"app/Controller.php": php_lines(60, {10: "$y = broken();"})}, "Bob", "bob@example.com")
    blame = Blame(BlameSettings.model_validate({"repos": [{"path_prefix": PREFIX, "checkout": str(repo)}]}), head_ttl=0)

    alice = blame.owner(PREFIX + "app/Controller.php", 57)
    assert alice is not None
    assert (alice.name, alice.email, alice.commit) == ("Alice", "alice@example.com", first)
    assert alice.date is not None
    assert alice.date.isoformat() == "2026-01-01T10:00:00+00:00"
    bob = blame.owner(PREFIX + "app/Controller.php", 10)
    assert bob is not None
    assert bob.email == "bob@example.com"

    # a new HEAD is asked again
    commit(repo, {"app/Controller.php": php_lines(60, {10: "$y = broken();", 57: "$z = 1;"})}, "Carol", "c@example.com")
    carol = blame.owner(PREFIX + "app/Controller.php", 57)
    assert carol is not None
    assert carol.email == "c@example.com"


def test_unknown_owner_is_none_never_an_error(tmp_path: Path) -> None:
    repo = tmp_path / "api"
    commit(repo, {"a.php": php_lines(3)}, "Alice", "alice@example.com")
    settings = BlameSettings.model_validate({"repos": [{"path_prefix": PREFIX, "checkout": str(repo)}]})
    blame = Blame(settings)
    assert blame.owner(PREFIX + "a.php", 99) is None  # past the end
    assert blame.owner(PREFIX + "missing.php", 1) is None
    assert blame.owner("/elsewhere/a.php", 1) is None  # no repository for the path
    assert blame.owner(PREFIX + "../etc/passwd", 1) is None
    assert blame.owner(None, None) is None
    no_checkout = BlameSettings.model_validate({"repos": [{"path_prefix": PREFIX, "checkout": str(tmp_path / "x")}]})
    assert Blame(no_checkout).owner(PREFIX + "a.php", 1) is None
    no_git = BlameSettings.model_validate({"repos": [{"path_prefix": PREFIX, "checkout": str(tmp_path)}]})
    assert Blame(no_git).owner(PREFIX + "a.php", 1) is None

"""The template-comparison rule of the pattern store, as a table."""

from __future__ import annotations

import pytest

from grokpipe.api.patterns.compare import merge

CASES: list[tuple[str, str, str | None]] = [
    # same template: same pattern
    ("disk <num> failed", "disk <num> failed", "disk <num> failed"),
    # differ only where one is variable
    ("user <*> logged in", "user bob logged in", "user <*> logged in"),
    ("user bob logged in", "user <*> logged in", "user <*> logged in"),
    ("conn from <ip> port <num>", "conn from <hex> port <num>", "conn from <*> port <num>"),
    ("<*> failed", "disk failed", "<*> failed"),
    # one literal word varies in a long enough message (not the first word)
    ("user alice logged in", "user bob logged in", "user <*> logged in"),
    ("session abc opened for root", "session xyz opened for root", "session <*> opened for root"),
    ("accepted key for alice from <ip>", "accepted key for bob from <ip>", "accepted key for <*> from <ip>"),
    ("token abcdefghijklmnopqrst was refused", "token zyxwvutsrqponmlkjihg was refused", "token <*> was refused"),
    # a choice among literals is not a value: two patterns
    ("user <*> logged in", "user <*> logged out", None),
    ("connection to db was closed", "connection to db was reset", None),
    # two literal words differ: different messages
    ("user alice logged in", "user bob logged out", None),
    # the first word is never a parameter
    ("boot (command <*>) done now", "wait (command <*>) done now", None),
    # short messages keep their literals
    ("job started ok", "job stopped ok", None),
    ("started", "stopped", None),
    # different lengths
    ("disk <num> failed", "disk <num> failed again", None),
    # a literal difference with too little left in common
    ("x <*> <*> y", "x <*> <*> z", None),
]


@pytest.mark.parametrize(("pattern", "template", "expected"), CASES)
def test_merge(pattern: str, template: str, expected: str | None) -> None:
    assert merge(pattern, template) == expected


@pytest.mark.parametrize(("pattern", "template", "expected"), [c for c in CASES if c[2] is not None])
def test_merging_only_generalises(pattern: str, template: str, expected: str) -> None:
    assert merge(expected, template) == expected
    assert merge(expected, pattern) == expected

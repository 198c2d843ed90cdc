"""The grok compiler: Logstash pattern files load unchanged, field references, casts, timeouts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pygrok
import pytest

from grokpipe.indexer.errors import PatternError
from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY
from grokpipe.indexer.processors import Context, Grok

HERE = Path(__file__).parent
#: logstash-patterns-core's legacy pattern files, as pygrok ships them (unchanged copies).
LOGSTASH_LEGACY = Path(pygrok.__file__).parent / "patterns"


@pytest.fixture(scope="module")
def ours() -> PatternLibrary:
    return PatternLibrary.from_dirs([DEFAULT_LIBRARY / "patterns"])


def test_logstash_legacy_files_load_unchanged_and_match() -> None:
    library = PatternLibrary.from_dirs([LOGSTASH_LEGACY])
    assert len(library.patterns) > 250
    found = library.compile("%{COMBINEDAPACHELOG}").match(
        '192.0.2.1 - bob [22/Nov/2026:08:15:08 +0000] "GET /a.html HTTP/1.1" 200 2326 "-" "Wget/1.21"'
    )
    assert found is not None
    assert (found["clientip"], found["verb"], found["response"], found["auth"]) == ("192.0.2.1", "GET", "200", "bob")
    syslog = library.compile("%{SYSLOGLINE}").match("Nov 22 08:15:08 web1 sshd[811]: Accepted publickey for bob")
    assert syslog is not None
    assert (syslog["program"], syslog["pid"]) == ("sshd", "811")


def test_every_logstash_legacy_pattern_compiles() -> None:
    library = PatternLibrary.from_dirs([LOGSTASH_LEGACY])
    broken = []
    for name in library.patterns:
        try:
            library.compile(f"%{{{name}}}")
        except PatternError:
            broken.append(name)
    # SHOREWALL in that copy has a doubled quantifier ("multiple repeat") that no regex engine accepts
    assert broken in ([], ["SHOREWALL"])


def test_ecs_style_field_references(ours: PatternLibrary) -> None:
    ours.load_dir(HERE / "patterns_ecs_style")
    grok = ours.compile("^%{MYLINE}$")
    assert grok.match("10.0.0.1 GET /x 404 7") == {
        "source.ip": "10.0.0.1",
        "http.request.method": "GET",
        "url.original": "/x",
        "http.response.status_code": 404,
        "my.optional": "7",
    }
    assert grok.match("10.0.0.1 GET /x 404") == {
        "source.ip": "10.0.0.1",
        "http.request.method": "GET",
        "url.original": "/x",
        "http.response.status_code": 404,
    }


@pytest.mark.parametrize(
    ("expression", "text", "expected"),
    [
        ("%{INT:n:int} %{NUMBER:f:float}", "42 1.5", {"n": 42, "f": 1.5}),
        ("%{WORD:a.b} %{WORD:a.c}", "x y", {"a.b": "x", "a.c": "y"}),
        ("(?<custom>[a-z]+)-%{POSINT:id:long}", "abc-12", {"custom": "abc", "id": 12}),
        ("%{WORD:w}", "!!!", None),
    ],
)
def test_match(ours: PatternLibrary, expression: str, text: str, expected: dict[str, object] | None) -> None:
    assert ours.compile(expression).match(text) == expected


@pytest.mark.parametrize(
    ("expression", "fragment"),
    [("%{NO_SUCH_PATTERN}", "unknown grok pattern"), ("%{WORD:x}(", "does not compile")],
)
def test_bad_expressions(ours: PatternLibrary, expression: str, fragment: str) -> None:
    with pytest.raises(PatternError, match=fragment):
        ours.compile(expression)


def test_self_reference_is_an_error(tmp_path: Path) -> None:
    (tmp_path / "loop").write_text("A x%{B}\nB y%{A}\n")
    library = PatternLibrary.from_dirs([tmp_path])
    with pytest.raises(PatternError, match="refers to itself"):
        library.compile("%{A}")


def test_bad_pattern_file_names_the_line(tmp_path: Path) -> None:
    (tmp_path / "bad").write_text("# fine\nGOOD \\d+\nnot-a-pattern-line\n")
    with pytest.raises(PatternError, match=r"bad:3"):
        PatternLibrary.from_dirs([tmp_path])


def test_catastrophic_pattern_times_out_and_tags(ours: PatternLibrary) -> None:
    # the classic CSV-field backtracking blow-up: nested lazy repeats that never find the final 'P'
    step = Grok({"patterns": ["^(.*?,){11}P"]}, Context(ours, 0.05, "UTC"))
    event: dict[str, Any] = {"message": "1," * 40}
    step(event)
    assert event["tags"] == ["_groktimeout"]
    assert event["message"] == "1," * 40

"""Queries with a field the mapping lacks get "did you mean"; the real syntax error is named."""

from __future__ import annotations

import pytest

from grokpipe.api.errors import InvalidRule
from grokpipe.api.search.hints import did_you_mean, syntax_problem, unknown_fields
from grokpipe.api.search.query import lucene_to_dsl

FIELDS = {
    "@timestamp": "date",
    "message": "text",
    "http.response.status_code": "long",
    "http.request.method": "keyword",
    "log.level": "keyword",
    "host.name": "keyword",
    "source.ip": "ip",
    "url.original": "keyword",
    "error.grouping_key": "keyword",
    "event.dataset": "keyword",
}


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("http.status", "http.response.status_code"),
        ("status", "http.response.status_code"),
        ("http.method", "http.request.method"),
        ("level", "log.level"),
        ("Log.Level", "log.level"),
        ("hostname", "host.name"),
        ("clientip", "source.ip"),
        ("error.groupingkey", "error.grouping_key"),
        ("grouping_key", "error.grouping_key"),
        ("nothing.like.this", None),
    ],
)
def test_did_you_mean(typed: str, meant: str | None) -> None:
    assert did_you_mean(typed, FIELDS) == meant


def test_unknown_fields_in_a_query_suggest_the_nearest_mapped_field() -> None:
    with pytest.raises(InvalidRule) as caught:
        lucene_to_dsl("http.status:500 AND bogus:1", FIELDS)
    assert caught.value.message == "unknown fields: bogus, http.status (did you mean http.response.status_code?)"
    assert caught.value.details["suggestions"] == {"http.status": "http.response.status_code"}
    assert unknown_fields(["x"], FIELDS).details == {"fields": ["x"]}


@pytest.mark.parametrize(
    ("query", "reason", "position"),
    [
        ("log.level:error AND (message:foo", "unclosed parenthesis: the '(' at position 20 is never closed", 20),
        ('message:"connection reset AND (x', "unclosed quote: the '\"' at position 8 is never closed", 8),
        ("http.response.status_code:[500 TO 599", "unclosed range bracket: the '[' at position 26 is never closed", 26),
        ("a:b)", "unmatched ')' at position 3: nothing opened it", 3),
        ("a:(b]", "']' at position 4 closes '('", 4),
    ],
)
def test_the_real_syntax_error_is_named(query: str, reason: str, position: int) -> None:
    assert syntax_problem(query) == (reason, position)
    with pytest.raises(InvalidRule) as caught:
        lucene_to_dsl(query, FIELDS)
    assert caught.value.details == {"reason": reason, "position": position}


@pytest.mark.parametrize(
    "query",
    ['message:"a (b"', "message:a\\(b", "http.response.status_code:[500 TO 599}", "(a:b OR c:d) AND e:f", 'x:"\\""'],
)
def test_balanced_queries_have_no_syntax_problem(query: str) -> None:
    assert syntax_problem(query) is None

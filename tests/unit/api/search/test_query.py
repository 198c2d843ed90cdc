"""Lucene → DSL by field type, and DSL vetting: table-driven, no servers."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.api.errors import InvalidRule
from grokpipe.api.search.fields import flatten_mapping
from grokpipe.api.search.query import lucene_to_dsl, vet_dsl

FIELDS = {
    "message": "text",
    "event.dataset": "keyword",
    "http.response.status_code": "long",
    "duration": "double",
    "source.ip": "ip",
    "@timestamp": "date",
    "ok": "boolean",
}

CONVERSIONS: list[tuple[str, dict[str, Any]]] = [
    ("", {"match_all": {}}),
    ("event.dataset:php.error", {"term": {"event.dataset": "php.error"}}),
    ("event.dataset:php*", {"wildcard": {"event.dataset": {"value": "php*"}}}),
    ("http.response.status_code:500", {"term": {"http.response.status_code": 500}}),
    ("http.response.status_code:>=500", {"range": {"http.response.status_code": {"gte": 500}}}),
    ("http.response.status_code:<400", {"range": {"http.response.status_code": {"lt": 400}}}),
    ("http.response.status_code:[500 TO 599]", {"range": {"http.response.status_code": {"gte": 500, "lte": 599}}}),
    ("duration:{1.5 TO *]", {"range": {"duration": {"gt": 1.5}}}),
    ("source.ip:10.0.0.0/8", {"term": {"source.ip": "10.0.0.0/8"}}),
    ("ok:true", {"term": {"ok": True}}),
    ('message:"out of memory"', {"match_phrase": {"message": "out of memory"}}),
    ("timeout", {"match": {"message": "timeout"}}),
    ("_exists_:duration", {"exists": {"field": "duration"}}),
    ("duration:*", {"exists": {"field": "duration"}}),
    (
        "event.dataset:(php.error OR nginx.error)",
        {
            "bool": {
                "should": [{"term": {"event.dataset": "php.error"}}, {"term": {"event.dataset": "nginx.error"}}],
                "minimum_should_match": 1,
            }
        },
    ),
    (
        "NOT ok:true AND duration:>1",
        {"bool": {"filter": [{"bool": {"must_not": [{"term": {"ok": True}}]}}, {"range": {"duration": {"gt": 1}}}]}},
    ),
]


@pytest.mark.parametrize(("text", "expected"), CONVERSIONS, ids=[c[0] or "empty" for c in CONVERSIONS])
def test_conversion(text: str, expected: dict[str, Any]) -> None:
    assert lucene_to_dsl(text, FIELDS) == expected


ERRORS: list[tuple[str, dict[str, Any]]] = [
    ("event.dataset:(a", {"position": 14}),  # where the unclosed parenthesis opens
    ("a AND", {"position": 5}),
    ("x:)", {"position": 2}),
    ("nope:1 AND also:2", {"fields": ["also", "nope"]}),
    ("http.response.status_code:oops", {"fields": ["http.response.status_code"]}),
    ("duration:[a TO 2]", {"fields": ["duration"]}),
]


@pytest.mark.parametrize(("text", "details"), ERRORS, ids=[e[0] for e in ERRORS])
def test_invalid(text: str, details: dict[str, Any]) -> None:
    with pytest.raises(InvalidRule) as caught:
        lucene_to_dsl(text, FIELDS)
    for key, value in details.items():
        assert caught.value.details[key] == value


def test_no_mapping_means_no_field_check() -> None:
    assert lucene_to_dsl("anything:x", {}) == {"term": {"anything": "x"}}


@pytest.mark.parametrize(
    "dsl",
    [
        {"script": {"script": "1"}},
        {"bool": {"should": [{"function_score": {"script_score": {"script": "1"}}}]}},
        {"bool": {"filter": [], "runtime_mappings": {}}},
    ],
)
def test_dsl_code_rejected(dsl: dict[str, Any]) -> None:
    with pytest.raises(InvalidRule) as caught:
        vet_dsl(dsl, FIELDS)
    assert caught.value.details["reason"] == "script"


def test_dsl_fields_checked() -> None:
    assert vet_dsl({"term": {"event.dataset": "x"}}, FIELDS) == {"term": {"event.dataset": "x"}}
    with pytest.raises(InvalidRule) as caught:
        vet_dsl({"bool": {"filter": [{"range": {"ghost": {"gte": 1}}}, {"exists": {"field": "spook"}}]}}, FIELDS)
    assert caught.value.details["fields"] == ["ghost", "spook"]


def test_flatten_mapping_with_multifields() -> None:
    mapping = {
        "logs-a": {
            "mappings": {
                "properties": {
                    "error": {"properties": {"message": {"type": "text", "fields": {"keyword": {"type": "keyword"}}}}}
                }
            }
        },
        "logs-b": {
            "mappings": {
                "properties": {"http": {"properties": {"response": {"properties": {"status_code": {"type": "long"}}}}}}
            }
        },
    }
    assert flatten_mapping(mapping) == {
        "error.message": "text",
        "error.message.keyword": "keyword",
        "http.response.status_code": "long",
    }

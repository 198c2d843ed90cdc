"""ElastAlert2 rule files (as its documentation writes them) converted to grokpipe rule bodies that the
API's own models accept, with what could not be converted and why."""

from __future__ import annotations

from typing import Any

import pytest
import yaml
from support import elastalert_rules as files

from grokpipe.api.rules.elastalert import convert, duration, lucene, query
from grokpipe.api.rules.schemas import RuleCreate


def converted(text: str, **names: str) -> tuple[dict[str, Any] | None, list[str]]:
    conversion = convert(yaml.safe_load(text), names)
    if conversion.rule is not None:
        RuleCreate.model_validate(conversion.rule)  # what POST /rules validates first
    return conversion.rule, conversion.skipped


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            files.FREQUENCY,
            {
                "condition": {"type": "threshold", "count": 50},
                "window": "4h",
                "query": 'some_field:"some_value"',
                "notify": ["email"],
                "realert": "1m",
            },
        ),
        (
            files.SPIKE,
            {
                "condition": {"type": "spike", "ratio": 3.0, "direction": "up", "min_count": 5},
                "window": "2h",
                "query": "field: value",
            },
        ),
        (
            files.NEW_TERM,
            {"condition": {"type": "new_term", "field": "username", "history": "30d"}, "query": "field: value"},
        ),
        (
            files.CARDINALITY,
            {
                "condition": {"type": "metric", "agg": "cardinality", "field": "Hostname", "op": "above", "value": 1.0},
                "query": 'status:"active"',
            },
        ),
        (
            files.METRIC,
            {
                "condition": {
                    "type": "metric",
                    "agg": "avg",
                    "field": "system.cpu.user.pct",
                    "op": "above",
                    "value": 0.1,
                },
                "window": "1h",
                "group_by": ["beat.hostname"],
                "query": 'metricset.name:"cpu"',
            },
        ),
        (
            files.FLATLINE,
            {
                "condition": {"type": "flatline", "count": 3},
                "window": "10m",
                "group_by": ["host.name"],
                "notify": ["slack"],
            },
        ),
        (
            files.ANY,
            {
                "condition": {"type": "any"},
                "realert": "30m",
                "group_by": ["error.grouping_key"],
                "query": 'event.dataset:("php.error" OR "nginx.error") AND http.response.status_code:[500 TO 600} '
                'AND NOT log.level:"debug"',
                "notify": ["dingtalk", "webhook"],
                "recovery": False,
            },
        ),
    ],
    ids=["frequency", "spike", "new_term", "cardinality", "metric_aggregation", "flatline", "any"],
)
def test_documented_rules_convert(text: str, expected: dict[str, Any]) -> None:
    rule, _ = converted(text)
    assert rule is not None
    assert {k: rule.get(k) for k in expected} == expected


@pytest.mark.parametrize(
    ("text", "skipped"),
    [
        (files.FREQUENCY, ["email: set on the notifier in api.yml's notifiers, not per rule"]),
        (
            files.METRIC,
            [
                "doc_type: no grokpipe equivalent",
                "bucket_interval: no grokpipe equivalent",
                "sync_bucket_interval: no grokpipe equivalent",
                "email: set on the notifier in api.yml's notifiers, not per rule",
            ],
        ),
        (
            files.FLATLINE,
            [
                "flatline: ElastAlert2 fires for a query_key value only once it has watched it for a timeframe; "
                "grokpipe also fires for a value first seen less than a window ago",
                "use_count_query: no grokpipe equivalent",
                "slack_webhook_url: set on the notifier in api.yml's notifiers, not per rule",
            ],
        ),
    ],
)
def test_what_is_left_out_is_said(text: str, skipped: list[str]) -> None:
    assert converted(text)[1] == skipped


KEYWORD_NOTE = (
    "use_keyword_postfix: ElastAlert2 reads the terms already seen from username.keyword; grokpipe watches "
    "username itself, which must be a keyword field (if username is text, write username.keyword)"
)
SPIKE_NOTE = (
    "spike: ElastAlert2 fires for a query_key value only once it has watched it for two timeframes "
    "(alert_on_new_data: false); grokpipe also fires for a value first seen in the window"
)


@pytest.mark.parametrize(
    ("text", "notes"),
    [
        (files.NEW_TERM, [KEYWORD_NOTE]),
        (files.NEW_TERM + "use_keyword_postfix: false\n", []),
        (files.NEW_TERM.replace('"username"', '"username.keyword"'), []),
        (files.SPIKE, []),  # without query_key, ElastAlert2's warm-up is once, at its start
        (files.SPIKE + "query_key: service\n", [SPIKE_NOTE]),
        (files.SPIKE + "query_key: service\nalert_on_new_data: true\n", []),
        (
            files.SPIKE.replace('spike_type: "up"', 'spike_type: "down"'),
            [
                "threshold_cur: ElastAlert2 wants it of the current window, also for a dip; grokpipe's "
                "min_count is met by either window, so a dip to fewer events fires too"
            ],
        ),
    ],
)
def test_where_elastalert_semantics_differ_a_note_says_so(text: str, notes: list[str]) -> None:
    rule, skipped = converted(text)
    assert rule is not None
    assert [s for s in skipped if not s.startswith("email")] == notes


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (files.CHANGE, "type change: no grokpipe condition compares a field between events"),
        (files.PERCENTAGE, "type percentage_match: no grokpipe condition computes a share of matches"),
    ],
)
def test_types_without_an_equivalent_are_not_converted_and_say_why(text: str, reason: str) -> None:
    rule, skipped = converted(text)
    assert rule is None
    assert skipped[0].startswith(reason)


def test_alerters_map_to_named_notifiers() -> None:
    rule, _ = converted(files.FREQUENCY, email="php-team-mail")
    assert rule is not None
    assert rule["notify"] == ["php-team-mail"]
    rule, skipped = converted(files.FREQUENCY.replace('- "email"', "- jira"))
    assert rule is not None
    assert rule["notify"] == []
    assert "alert 'jira': grokpipe notifies by email, slack, dingtalk and webhook" in skipped


def test_a_filter_without_a_lucene_form_is_kept_as_dsl() -> None:
    filters = [{"geo_distance": {"distance": "10km", "location": {"lat": 1, "lon": 2}}}]
    text, dsl, why = query(filters)
    assert (text, dsl, why) == (None, {"bool": {"filter": filters}}, "geo_distance queries have no Lucene form")


@pytest.mark.parametrize(
    ("node", "expected"),
    [
        ({"term": {"status": {"value": 404}}}, "status:404"),
        ({"terms": {"code": [500, 502]}}, "code:(500 OR 502)"),
        ({"range": {"bytes": {"gt": 10}}}, "bytes:{10 TO *]"),
        ({"exists": {"field": "error.type"}}, "_exists_:error.type"),
        ({"wildcard": {"url.path": "/api/v1*"}}, "url.path:\\/api\\/v1*"),
        ({"match_phrase": {"message": 'said "hi"'}}, 'message:"said \\"hi\\""'),
        ({"bool": {"should": [{"term": {"a": 1}}, {"term": {"b": 2}}]}}, "((a:1 OR b:2))"),
    ],
)
def test_filters_as_lucene(node: dict[str, Any], expected: str) -> None:
    assert lucene(node) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [({"minutes": 5}, "5m"), ({"hours": 4}, "4h"), ({"minutes": 90}, "90m"), ({"days": 14}, "2w"), (30, "30s")],
)
def test_durations(value: Any, expected: str) -> None:
    assert duration(value, "timeframe") == expected

"""One search for many rules: buckets shared by identical queries and shapes, each rule's part cut back out,
batches sized in buckets."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grokpipe.api.rules.batch import bucket_signature, refused, split_by_buckets
from grokpipe.api.rules.conditions import build_search, evaluate, window_for
from grokpipe.api.rules.grouped import (
    SAMPLES,
    Slot,
    Uncertain,
    bucket_filter,
    elide,
    empty_answer,
    group,
    restore,
    rule_response,
    shard_failures,
    split_term,
)
from grokpipe.api.rules.schemas import Rule
from grokpipe.api.search.fields import plain_keywords
from grokpipe.errors import ElasticsearchError, ElasticsearchRejected, ElasticsearchUnavailable

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
TERM_A = {"term": {"event.dataset": "a"}}
TERM_B = {"term": {"event.dataset": "b"}}


def _rule(i: int, **body: Any) -> Rule:
    return Rule.model_validate(
        {
            "id": f"r{i}",
            "version": "0:1",
            "created": T,
            "updated": T,
            "name": f"r{i}",
            "schedule": {"interval": "1m"},
            "condition": {"type": "threshold", "count": 1},
        }
        | body
    )


def _body(rule: Rule, query: dict[str, Any]) -> dict[str, Any]:
    start, end = window_for(rule, T)
    return build_search(rule, query, start, end)


def test_identical_queries_and_shapes_share_a_bucket() -> None:
    by_key = {"group_by": ["error.grouping_key"]}
    rules = [
        _rule(0, **by_key),
        _rule(1, **by_key, condition={"type": "threshold", "count": 9}),  # same bucket as r0
        _rule(2, **by_key),  # other query
        _rule(3),  # other shape (no group)
        _rule(4, **by_key, sample_size=0),  # other shape (no samples)
    ]
    queries = [TERM_A, TERM_A, TERM_B, TERM_A, TERM_A]
    grouped = group(
        [_body(r, q) for r, q in zip(rules, queries, strict=True)], "@timestamp", T - timedelta(minutes=5), T
    )
    assert grouped.slots == [Slot("s0", "q0"), Slot("s0", "q0"), Slot("s0", "q1"), Slot("s1", "q0"), Slot("s2", "q0")]
    assert grouped.buckets == 4
    aggs = grouped.body["aggs"]
    assert set(aggs) == {"s0", "s1", "s2"}
    assert aggs["s0"]["filters"]["filters"]["q0"] == TERM_A  # its time range is the outer query's
    assert aggs["s0"]["aggs"]["g"]["terms"]["field"] == "error.grouping_key"
    assert aggs["s0"]["aggs"][SAMPLES]["top_hits"]["size"] == 5
    assert SAMPLES not in aggs["s2"]["aggs"]
    assert grouped.body["size"] == 0
    assert grouped.body["query"] == {
        "range": {"@timestamp": {"gte": (T - timedelta(minutes=5)).isoformat(), "lt": T.isoformat()}}
    }


def test_each_rule_gets_the_response_its_own_search_would_give() -> None:
    rule = _rule(0, group_by=["error.grouping_key"], sample_size=2)
    hits = [
        {"_id": "1", "_source": {"error": {"grouping_key": "A"}}},
        {"_id": "2", "_source": {"error": {"grouping_key": "B"}}},
    ]
    own_aggs = {
        "g": {
            "buckets": [
                {"key": "A", "doc_count": 3, "cur": {"doc_count": 3}},
                {"key": "B", "doc_count": 1, "cur": {"doc_count": 1}},
            ]
        }
    }
    grouped_resp = {
        "aggregations": {"s0": {"buckets": {"q0": {"doc_count": 4, SAMPLES: {"hits": {"hits": hits}}, **own_aggs}}}}
    }
    part = rule_response(grouped_resp, Slot("s0", "q0"))
    assert part == {"hits": {"total": {"value": 4, "relation": "eq"}, "hits": hits}, "aggregations": own_aggs}
    alone = {"hits": {"total": {"value": 4}, "hits": hits}, "aggregations": own_aggs}
    assert evaluate(rule, part, T) == evaluate(rule, alone, T)


def test_no_aggregations_back_gives_the_rule_none() -> None:
    assert rule_response({"hits": {"hits": []}}, Slot("s0", "q0")) == {"hits": {"hits": []}}
    with pytest.raises(KeyError):
        rule_response({"aggregations": {"s0": {"buckets": {}}}}, Slot("s0", "q0"))


def test_shard_failures() -> None:
    assert shard_failures({"_shards": {"total": 2, "failed": 1}}) == 1
    assert shard_failures({"_shards": {"total": 1, "failed": 0}}) == 0
    assert shard_failures({}) == 0


def test_batches_count_buckets_not_rules() -> None:
    same = [_rule(i, query="event.dataset:a") for i in range(4)]
    others = [_rule(10 + i, query=f"event.dataset:o{i}") for i in range(3)]
    later = _rule(20, query="event.dataset:a", query_delay="1m")  # another window end: another batch
    due = [(r, T) for r in [same[0], others[0], same[1], others[1], same[2], others[2], same[3], later]]
    batches = split_by_buckets(due, 2)
    assert [[r.id for r, _ in b] for b in batches] == [
        ["r0", "r1", "r2", "r3", "r10"],
        ["r11", "r12"],
        ["r20"],
    ]


def test_bucket_signature_follows_query_and_shape_not_threshold() -> None:
    a = _rule(0, query="x:1")
    assert bucket_signature(a, T) == bucket_signature(_rule(1, query="x:1", condition={"type": "any"}), T)
    assert bucket_signature(a, T) != bucket_signature(_rule(2, query="x:2"), T)
    assert bucket_signature(a, T) != bucket_signature(_rule(3, query="x:1", group_by=["host.name"]), T)
    assert bucket_signature(a, T) != bucket_signature(_rule(4, query="x:1", window="10m"), T)
    assert bucket_signature(a, T) != bucket_signature(_rule(5, dsl={"term": {"x": 1}}), T)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (ElasticsearchRejected("bad query", status=400), True),
        (ElasticsearchError("aggregation failed", status=500), True),
        (ElasticsearchUnavailable("no response"), False),
        (ElasticsearchUnavailable("busy", status=429), False),
        (ElasticsearchUnavailable("unavailable", status=503), False),
    ],
)
def test_which_errors_send_each_rule_alone(error: ElasticsearchError, expected: bool) -> None:
    assert refused(error) is expected


def test_a_bucket_keeps_a_time_range_other_than_the_outer_one() -> None:
    outer = {"range": {"@timestamp": {"gte": "a", "lt": "z"}}}
    other = {"range": {"@timestamp": {"gte": "b", "lt": "z"}}}
    assert bucket_filter({"bool": {"filter": [TERM_A, outer]}}, outer) == TERM_A
    assert bucket_filter({"bool": {"filter": [TERM_A, other]}}, outer) == {"bool": {"filter": [TERM_A, other]}}
    assert bucket_filter({"bool": {"filter": [TERM_A, TERM_B, outer]}}, outer) == {"bool": {"filter": [TERM_A, TERM_B]}}
    assert bucket_filter({"bool": {"filter": [outer]}}, outer) == {"match_all": {}}
    kept = {"bool": {"filter": [TERM_A, outer], "must_not": [TERM_B]}}
    assert bucket_filter(kept, outer) == kept


def _family_body(rule: Rule, value: str) -> dict[str, Any]:
    return _body(rule, {"bool": {"filter": [{"term": {"event.dataset": value}}, {"range": {"status": {"gte": 500}}}]}})


def test_queries_that_differ_in_one_keyword_term_share_a_terms_aggregation() -> None:
    rule = _rule(0, group_by=["error.grouping_key"])
    bodies = [_family_body(rule, v) for v in ("a", "b", "a", "c")]
    grouped = group(bodies, "@timestamp", T - timedelta(minutes=5), T, frozenset({"event.dataset"}))
    assert [s.term for s in grouped.slots] == ["a", "b", "a", "c"]
    assert {s.agg for s in grouped.slots} == {"t0"}
    agg = grouped.body["aggs"]["t0"]
    assert agg["filter"] == {
        "bool": {"filter": [{"range": {"status": {"gte": 500}}}, {"terms": {"event.dataset": ["a", "b", "c"]}}]}
    }
    assert agg["aggs"]["k"]["terms"] == {"field": "event.dataset", "include": ["a", "b", "c"], "size": 3}
    assert agg["aggs"]["k"]["aggs"]["g"]["terms"]["field"] == "error.grouping_key"
    # not a keyword field without normalizer: one filters bucket each
    plain = group(bodies, "@timestamp", T - timedelta(minutes=5), T)
    assert {s.agg for s in plain.slots} == {"s0"}
    assert plain.buckets == 3


def test_metric_rules_stay_in_filters_buckets() -> None:
    rule = _rule(0, condition={"type": "metric", "field": "d", "agg": "sum", "op": "below", "value": 1})
    bodies = [_family_body(rule, v) for v in ("a", "b")]
    grouped = group(bodies, "@timestamp", T - timedelta(minutes=5), T, frozenset({"event.dataset"}))
    assert {s.agg for s in grouped.slots} == {"s0"}  # the server decides what a sum over nothing is


def test_a_value_without_a_terms_bucket_is_an_empty_answer_unless_buckets_were_left_out() -> None:
    rule = _rule(0, condition={"type": "flatline", "count": 1})
    grouped = group(
        [_family_body(rule, v) for v in ("a", "b")],
        "@timestamp",
        T - timedelta(days=1),
        T,
        frozenset({"event.dataset"}),
    )
    bucket_a = {"key": "a", "doc_count": 2, "cur": {"doc_count": 2}, SAMPLES: {"hits": {"hits": []}}}
    resp = {"aggregations": {"t0": {"doc_count": 2, "k": {"buckets": [bucket_a], "sum_other_doc_count": 0}}}}
    assert grouped.part(resp, 0)["aggregations"] == {"cur": {"doc_count": 2}}
    empty = grouped.part(resp, 1)
    assert empty["aggregations"]["cur"]["doc_count"] == 0
    assert [f.count for f in evaluate(rule, empty, T).findings] == [0]  # flatline fires, as alone with no documents
    cut = {"aggregations": {"t0": {"doc_count": 9, "k": {"buckets": [bucket_a], "sum_other_doc_count": 7}}}}
    with pytest.raises(Uncertain):
        grouped.part(cut, 1)


def test_split_term_takes_a_plain_term_on_a_keyword_field() -> None:
    keywords = frozenset({"k"})
    assert split_term({"term": {"k": "a"}}, keywords) == ("k", "a", [])
    assert split_term({"bool": {"filter": [{"range": {"n": {"gte": 1}}}, {"term": {"k": "a"}}]}}, keywords) == (
        "k",
        "a",
        [{"range": {"n": {"gte": 1}}}],
    )
    assert split_term({"term": {"k": {"value": "a", "case_insensitive": True}}}, keywords) is None
    assert split_term({"term": {"other": "a"}}, keywords) is None
    assert (
        split_term({"bool": {"filter": [{"term": {"k": "a"}}], "must_not": [{"term": {"k": "b"}}]}}, keywords) is None
    )


def test_empty_answer_knows_counts_groups_and_samples_only() -> None:
    shape = {"g": {"terms": {"field": "x"}, "aggs": {"cur": {"filter": {}}}}, SAMPLES: {"top_hits": {"size": 1}}}
    assert empty_answer(shape)["g"]["buckets"] == []
    assert empty_answer({"cur": {"filter": {}, "aggs": {"prev": {"filter": {}}}}}) == {
        "cur": {"doc_count": 0, "prev": {"doc_count": 0}}
    }
    with pytest.raises(ValueError, match="no known empty answer"):
        empty_answer({"m": {"sum": {"field": "d"}}})


def test_plain_keywords_leave_out_normalized_and_mixed_fields() -> None:
    mappings = {
        "i1": {
            "mappings": {
                "properties": {
                    "a": {"type": "keyword"},
                    "b": {"type": "keyword", "normalizer": "lower"},
                    "c": {"type": "keyword"},
                    "m": {"type": "text", "fields": {"raw": {"type": "keyword"}}},
                }
            }
        },
        "i2": {"mappings": {"properties": {"a": {"type": "keyword"}, "c": {"type": "text"}}}},
    }
    assert plain_keywords(mappings) == frozenset({"a", "m.raw"})


def test_a_window_filter_equal_to_the_query_range_is_left_out_and_restored() -> None:
    rule = _rule(
        0, group_by=["error.grouping_key"], condition={"type": "metric", "field": "d", "agg": "avg", "value": 1}
    )
    body = _body(rule, TERM_A)
    shape, elided = elide(body["aggs"], body["query"]["bool"]["filter"])
    assert elided == ((("g", "cur"), ("m",)),)
    assert shape["g"]["aggs"] == {"m": {"avg": {"field": "d"}}}
    answer = {"doc_count": 4, "g": {"buckets": [{"key": "A", "doc_count": 3, "m": {"value": 2.0}}]}}
    assert restore(answer, elided)["g"]["buckets"] == [
        {"key": "A", "doc_count": 3, "cur": {"doc_count": 3, "m": {"value": 2.0}}}
    ]
    flatline = _rule(1, condition={"type": "flatline", "count": 1})  # its query reaches back a day: the filter counts
    body = _body(flatline, TERM_A)
    assert elide(body["aggs"], body["query"]["bool"]["filter"]) == (body["aggs"], ())

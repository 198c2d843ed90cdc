"""Rule types as pure functions over saved search responses; windows and schedules."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from grokpipe.api.kernel.schedule import Schedule
from grokpipe.api.rules.conditions import build_search, evaluate, spike_fires, window_for
from grokpipe.api.rules.schemas import RuleCreate, SpikeCondition

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _rule(**over: Any) -> RuleCreate:
    return RuleCreate.model_validate({"name": "r", "condition": {"type": "threshold", "count": 2}} | over)


def _bucket(key: str, cur: int, **extra: Any) -> dict[str, Any]:
    return {"key": key, "doc_count": cur, "cur": {"doc_count": cur}, **extra}


def test_window_with_query_delay() -> None:
    assert window_for(_rule(window="5m", query_delay="1m"), T) == (T - timedelta(minutes=6), T - timedelta(minutes=1))


def test_search_body_nests_groups_and_widens_for_spike() -> None:
    rule = _rule(group_by=["a", "b"], condition={"type": "spike", "ratio": 2})
    body = build_search(rule, {"match_all": {}}, T - timedelta(minutes=5), T)
    assert body["aggs"]["g"]["terms"]["field"] == "a"
    assert body["aggs"]["g"]["aggs"]["g"]["terms"]["field"] == "b"
    assert set(body["aggs"]["g"]["aggs"]["g"]["aggs"]) == {"cur", "prev"}
    assert body["query"]["bool"]["filter"][1]["range"]["@timestamp"]["gte"] == (T - timedelta(minutes=10)).isoformat()


CASES: list[tuple[dict[str, Any], list[dict[str, Any]], list[tuple[str, int]]]] = [
    ({"type": "threshold", "count": 2}, [_bucket("a", 3), _bucket("b", 1)], [("a", 3)]),
    ({"type": "any"}, [_bucket("a", 1), _bucket("b", 0)], [("a", 1)]),
    ({"type": "flatline", "count": 2}, [_bucket("a", 3), _bucket("b", 0)], [("b", 0)]),
    (
        {"type": "new_term", "field": "f"},
        [_bucket("a", 2, before={"doc_count": 0}), _bucket("b", 2, before={"doc_count": 7})],
        [("a", 2)],
    ),
    (
        {"type": "metric", "field": "d", "agg": "sum", "value": 10},
        [
            {"key": "a", "cur": {"doc_count": 2, "m": {"value": 11.0}}},
            {"key": "b", "cur": {"doc_count": 2, "m": {"value": 9}}},
        ],
        [("a", 2)],
    ),
]


@pytest.mark.parametrize(("condition", "buckets", "expected"), CASES, ids=[c[0]["type"] for c in CASES])
def test_evaluate_grouped(
    condition: dict[str, Any], buckets: list[dict[str, Any]], expected: list[tuple[str, int]]
) -> None:
    rule = _rule(group_by=["k"], condition=condition)
    if condition["type"] == "new_term":  # the term itself is the (only) group level
        rule = _rule(group_by=[], condition=condition)
    response = {"hits": {"hits": []}, "aggregations": {"g": {"buckets": buckets}}}
    findings = evaluate(rule, response, T).findings
    assert [(f.key, f.count) for f in findings] == expected


def test_flatline_ungrouped_with_no_data_fires() -> None:
    rule = _rule(condition={"type": "flatline", "count": 1})
    findings = evaluate(rule, {"aggregations": {"cur": {"doc_count": 0}}}, T).findings
    assert [(f.key, f.count) for f in findings] == [("*", 0)]


@pytest.mark.parametrize(
    ("direction", "current", "previous", "fires"),
    [
        ("up", 10, 2, True),
        ("up", 5, 2, False),
        ("down", 1, 6, True),
        ("down", 6, 1, False),
        ("both", 0, 9, True),
        ("up", 3, 0, True),
        ("up", 0, 0, False),
    ],
)
def test_spike(direction: str, current: int, previous: int, fires: bool) -> None:
    cond = SpikeCondition(type="spike", ratio=3, direction=direction, min_count=1)  # type: ignore[arg-type]
    assert spike_fires(cond, current, previous) is fires


def test_interval_ticks_are_aligned_across_replicas() -> None:
    schedule = Schedule(interval="5m")
    assert schedule.next_after(T + timedelta(seconds=1)) == T + timedelta(minutes=5)
    assert schedule.next_after(T) == T + timedelta(minutes=5)


def test_cron_in_timezone() -> None:
    schedule = Schedule(cron="0 9 * * *", timezone="Asia/Shanghai")  # 09:00 Beijing = 01:00 UTC
    assert schedule.next_after(T) == datetime(2026, 1, 6, 1, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "body",
    [
        {"name": "x", "condition": {"type": "threshold", "count": 0}},
        {"name": "x", "condition": {"type": "nope"}},
        {"name": "x", "condition": {"type": "any"}, "window": "5 minutes"},
        {"name": "x", "condition": {"type": "any"}, "schedule": {"interval": "1m", "cron": "* * * * *"}},
        {"name": "x", "condition": {"type": "any"}, "schedule": {"cron": "not a cron"}},
        {"name": "x", "condition": {"type": "any"}, "schedule": {"interval": "1m", "timezone": "Mars/Base"}},
        {"name": "x", "condition": {"type": "any"}, "query": "a", "dsl": {"match_all": {}}},
        {"name": "x", "condition": {"type": "any"}, "surprise": 1},
    ],
)
def test_invalid_rule_bodies(body: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - pydantic's ValidationError is a ValueError
        RuleCreate.model_validate(body)

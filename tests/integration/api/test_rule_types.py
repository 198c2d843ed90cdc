"""Each rule type against indexed documents with known counts, group_by, window edges, query_delay."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import T0, api_settings, doc, new_logs_index

from grokpipe.api.rules.conditions import window_for
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.services import Services

M = timedelta(minutes=1)


def _php(at_minutes: float, key: str, **extra: Any) -> dict[str, Any]:
    return doc(
        T0 + at_minutes * M,
        message=f"PHP Fatal error: {key}",
        event__dataset="php.error",
        error__type="fatal",
        error__grouping_key=key,
        **extra,
    )


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    docs = [
        _php(-4, "A", duration=10.0),
        _php(-3, "A", duration=20.0),
        _php(-1, "A", duration=30.0),
        _php(0, "A", duration=1000.0),  # at the window end: excluded
        _php(-5, "B", duration=1.0),  # at the window start: included
        _php(-2, "B", duration=3.0),
        _php(-6, "C", duration=5.0),  # before the window, inside histories
        _php(-2 * 24 * 60, "A"),  # two days ago: A is not new
        doc(T0 - 2 * M, message="GET /", event__dataset="nginx.access", http__response__status_code=500),
        doc(T0 - 2 * M, message="GET /x", event__dataset="nginx.access", http__response__status_code=503),
        doc(T0 - 2 * M, message="GET /y", event__dataset="nginx.access", http__response__status_code=200),
    ]
    return new_logs_index(es, docs)


@pytest.fixture(scope="module")
def services(make_services_module: Callable[..., Services]) -> Services:
    return make_services_module()


@pytest.fixture(scope="module")
def make_services_module(stack: Any) -> Any:
    from support.api import FakeClock

    from grokpipe.api.services import Services

    built: list[Services] = []

    def make() -> Services:
        s = Services.build(api_settings(stack), FakeClock())
        built.append(s)
        return s

    yield make
    for s in built:
        s.close()


def _findings(services: Services, logs: str, **rule: Any) -> dict[str, tuple[int, Any]]:
    body = RuleCreate.model_validate({"name": "t", "index": logs, "window": "5m"} | rule)
    start, end = window_for(body, T0)
    evaluation = services.runner.search(body, start, end)
    return {f.key: (f.count, f.value if f.value is not None else f.previous) for f in evaluation.findings}


PHP = 'event.dataset:"php.error"'
CASES: list[tuple[str, dict[str, Any], dict[str, tuple[int, Any]]]] = [
    ("threshold 3 by key", {"condition": {"type": "threshold", "count": 3}}, {"A": (3, None)}),
    (
        "threshold 2 by key: window edges",
        {"condition": {"type": "threshold", "count": 2}},
        {"A": (3, None), "B": (2, None)},
    ),
    (
        "query_delay shifts the window",
        {"condition": {"type": "threshold", "count": 1}, "query_delay": "1m"},
        {"A": (2, None), "B": (2, None), "C": (1, None)},
    ),
    ("flatline: C went silent", {"condition": {"type": "flatline", "count": 1, "history": "1d"}}, {"C": (0, None)}),
    (
        "new_term: B is new",
        {"condition": {"type": "new_term", "field": "error.grouping_key", "history": "7d"}, "group_by": []},
        {"B": (2, None)},
    ),
    (
        "metric avg above 15",
        {"condition": {"type": "metric", "field": "duration", "agg": "avg", "value": 15}},
        {"A": (3, 20.0)},
    ),
    (
        "metric max below 4",
        {"condition": {"type": "metric", "field": "duration", "agg": "max", "op": "below", "value": 4}},
        {"B": (2, 3.0)},
    ),
]


@pytest.mark.parametrize(("label", "rule", "expected"), CASES, ids=[c[0] for c in CASES])
def test_grouped_types(services: Services, logs: str, label: str, rule: dict[str, Any], expected: Any) -> None:
    rule = {"query": PHP, "group_by": ["error.grouping_key"]} | rule
    assert _findings(services, logs, **rule) == expected, label


def test_any_ungrouped_counts_every_match(services: Services, logs: str) -> None:
    assert _findings(services, logs, query=PHP, condition={"type": "any"}) == {"*": (5, None)}


def test_spike_up_and_down(services: Services, logs: str) -> None:
    up = _findings(services, logs, query=PHP, condition={"type": "spike", "ratio": 3, "direction": "up"})
    assert up == {"*": (5, 1)}  # 5 now vs C alone in the previous 5 minutes
    down = _findings(services, logs, query=PHP, condition={"type": "spike", "ratio": 3, "direction": "down"})
    assert down == {}


def test_numeric_fields_use_range_not_query_string(services: Services, logs: str) -> None:
    body = RuleCreate.model_validate(
        {"name": "5xx", "index": logs, "query": "http.response.status_code:>=500", "condition": {"type": "any"}}
    )
    assert services.runner.compile(body) == {"range": {"http.response.status_code": {"gte": 500}}}
    assert _findings(services, logs, query="http.response.status_code:>=500", condition={"type": "any"}) == {
        "*": (2, None)
    }
    assert _findings(services, logs, query="http.response.status_code:503", condition={"type": "any"}) == {
        "*": (1, None)
    }

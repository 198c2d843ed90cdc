"""Rules evaluated together with one ``_msearch`` (``rule_grouping: msearch``) against noida-db: same findings
as alone, failures stay per rule."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import T0, doc, new_logs_index

from grokpipe.api import metrics
from grokpipe.api.rules.batch import BatchRunner
from grokpipe.api.rules.conditions import window_for
from grokpipe.api.rules.schemas import Rule, RuleCreate
from grokpipe.api.services import Services

M = timedelta(minutes=1)
PHP = 'event.dataset:"php.error"'
BY_KEY = {"query": PHP, "group_by": ["error.grouping_key"]}
RULES: list[dict[str, Any]] = [
    BY_KEY | {"condition": {"type": "threshold", "count": 3}},
    BY_KEY | {"condition": {"type": "threshold", "count": 1}, "query_delay": "1m"},
    BY_KEY | {"condition": {"type": "flatline", "count": 1, "history": "1d"}},
    {"query": PHP, "condition": {"type": "new_term", "field": "error.grouping_key", "history": "7d"}},
    BY_KEY | {"condition": {"type": "metric", "field": "duration", "agg": "avg", "value": 15}},
    BY_KEY | {"condition": {"type": "metric", "field": "duration", "agg": "max", "op": "below", "value": 4}},
    {"query": PHP, "condition": {"type": "spike", "ratio": 3, "direction": "up"}},
    {"query": "http.response.status_code:>=500", "condition": {"type": "any"}},
    {"query": PHP, "condition": {"type": "threshold", "count": 100}},  # matches, never fires
]


def _php(at_minutes: float, key: str, **extra: Any) -> dict[str, Any]:
    return doc(T0 + at_minutes * M, message=f"PHP Fatal error: {key}", event__dataset="php.error", **extra) | {
        "error": {"type": "fatal", "grouping_key": key}
    }


@pytest.fixture
def logs(es: Elasticsearch) -> str:
    return new_logs_index(
        es,
        [
            _php(-4, "A", duration=10.0),
            _php(-3, "A", duration=20.0),
            _php(-1, "A", duration=30.0),
            _php(0, "A", duration=1000.0),
            _php(-5, "B", duration=1.0),
            _php(-2, "B", duration=3.0),
            _php(-6, "C", duration=5.0),
            _php(-2 * 24 * 60, "A"),
            doc(T0 - 2 * M, message="GET /", event__dataset="nginx.access", http__response__status_code=500),
            doc(T0 - 2 * M, message="GET /y", event__dataset="nginx.access", http__response__status_code=200),
        ],
    )


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services()


def _create(services: Services, logs: str, i: int, **rule: Any) -> Rule:
    body = {"name": f"batch {i}", "index": logs, "window": "5m", "realert": "0s"} | rule
    return services.store.create(RuleCreate.model_validate(body))


def _alone(services: Services, rule: Rule) -> dict[str, tuple[Any, ...]]:
    start, end = window_for(rule, T0)
    return {f.key: (f.count, f.value, f.previous) for f in services.runner.search(rule, start, end).findings}


class _Calls:
    """Counts the searches the client sends (the real client still sends them)."""

    def __init__(self, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch) -> None:
        self.search = self.msearch = 0
        for name in ("search", "msearch"):
            real = getattr(es, name)

            def counted(*args: Any, _name: str = name, _real: Any = real, **kwargs: Any) -> Any:
                setattr(self, _name, getattr(self, _name) + 1)
                return _real(*args, **kwargs)

            monkeypatch.setattr(es, name, counted)


def _failed() -> float:
    return float(metrics.RULE_RUNS.labels(outcome="failed")._value.get())


def test_one_msearch_gives_each_rule_its_own_findings(
    services: Services, logs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = [_create(services, logs, i, **r) for i, r in enumerate(RULES)]
    expected = {rule.id: _alone(services, rule) for rule in rules}
    assert any(expected.values())
    assert sum(1 for found in expected.values() if found) >= 7  # most types fire on this data

    calls = _Calls(services.es, monkeypatch)
    results = BatchRunner(services.runner, size=50, grouping="msearch").run([(rule, T0) for rule in rules])
    assert (calls.msearch, calls.search) == (1, 0)

    assert all(r is not None for r in results)
    got = {r.rule_id: {f.key: (f.count, f.value, f.previous) for f in r.evaluation.findings} for r in results if r}
    assert got == expected
    for rule, result in zip(rules, results, strict=True):
        assert result is not None
        assert len(result.actions) == len(expected[rule.id])  # each fired group recorded once
        assert services.leases.state(rule.id).last_tick == T0  # each rule's own state, released
    assert BatchRunner(services.runner, grouping="msearch").run([(rule, T0) for rule in rules]) == [None] * len(
        rules
    )  # tick claimed


def test_a_bad_rule_fails_alone(services: Services, logs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _create(services, logs, 0, **(BY_KEY | {"condition": {"type": "threshold", "count": 3}}))
    refused = _create(services, logs, 1, dsl={"no_such_query": {"x": 1}}, condition={"type": "any"})  # server: 400
    unknown = _create(services, logs, 2, query=PHP, group_by=["no.such.field"], condition={"type": "any"})
    no_index = _create(services, "logs-no-such-index", 3, condition={"type": "any"})  # no aggregations back
    also_good = _create(services, logs, 4, query="http.response.status_code:>=500", condition={"type": "any"})
    batch = [good, refused, unknown, no_index, also_good]

    failed = _failed()
    calls = _Calls(services.es, monkeypatch)
    results = dict(
        zip(
            [r.id for r in batch],
            BatchRunner(services.runner, grouping="msearch").run([(r, T0) for r in batch]),
            strict=True,
        )
    )
    assert calls.msearch == 1
    assert _failed() - failed == 3

    ok_good, ok_also = results[good.id], results[also_good.id]
    assert ok_good is not None
    assert {f.key: f.count for f in ok_good.evaluation.findings} == {"A": 3}
    assert ok_also is not None
    assert {f.key: f.count for f in ok_also.evaluation.findings} == {"*": 1}
    for bad in (refused, unknown, no_index):
        assert results[bad.id] is None
        assert services.leases.state(bad.id).groups == {}  # released with its state unchanged


def test_scheduler_runs_due_rules_in_batches(make_services: Callable[..., Services], logs: str) -> None:
    services = make_services(scheduler={"enabled": False, "rule_batch": 25, "rule_grouping": "msearch"})
    rules = [_create(services, logs, i, **r, schedule={"interval": "1m"}) for i, r in enumerate(RULES)]
    services.es.indices.refresh(index=services.settings.indices.rules)
    scheduler = services.scheduler
    assert scheduler.batcher is not None
    scheduler.reload()
    assert scheduler.step(T0 - timedelta(seconds=1)) == 0
    assert scheduler.step(T0) == len(rules)
    futures = {id(f): f for f in scheduler.running.values()}
    assert len(futures) == 2  # same index and time field; the query_delay rule's window ends earlier
    deadline = time.monotonic() + 30
    while not all(f.done() for f in futures.values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    for rule in rules:
        assert services.leases.state(rule.id).last_tick == T0


def test_grouped_search_is_the_default_and_single_turns_batching_off(make_services: Callable[..., Services]) -> None:
    batcher = make_services().scheduler.batcher
    assert isinstance(batcher, BatchRunner)
    assert batcher.grouping == "filters"
    assert make_services(scheduler={"rule_grouping": "single"}).scheduler.batcher is None

"""Rules evaluated together with one ``filters`` search against noida-db: same findings, alerts and state as
each rule evaluated alone; a rule the server refuses fails alone."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import T0, doc, new_logs_index

from grokpipe.api import metrics
from grokpipe.api.rules.batch import BatchRunner
from grokpipe.api.rules.runner import RunResult
from grokpipe.api.rules.schemas import Rule, RuleCreate
from grokpipe.api.services import Services

M = timedelta(minutes=1)
PHP = 'event.dataset:"php.error"'
BY_KEY = {"query": PHP, "group_by": ["error.grouping_key"]}
BY_KEY_ONLY = {"group_by": ["error.grouping_key"]}
HOSTS = ("web-1", "web-2", "web-9")
#: A mix of types, several on the same query (they share a bucket or a shape), one on another query.
RULES: list[dict[str, Any]] = [
    BY_KEY | {"condition": {"type": "threshold", "count": 3}},
    BY_KEY | {"condition": {"type": "threshold", "count": 1}},  # same bucket as the rule above
    BY_KEY | {"condition": {"type": "threshold", "count": 2}, "sample_size": 2},
    BY_KEY | {"condition": {"type": "threshold", "count": 1}, "window": "10m"},
    {"query": PHP, "group_by": ["error.grouping_key", "host.name"], "condition": {"type": "threshold", "count": 1}},
    BY_KEY | {"condition": {"type": "flatline", "count": 1, "history": "1d"}},
    {"query": PHP, "condition": {"type": "flatline", "count": 50}},
    {"query": PHP, "condition": {"type": "new_term", "field": "error.grouping_key", "history": "7d"}},
    BY_KEY | {"condition": {"type": "metric", "field": "duration", "agg": "avg", "value": 15}},
    BY_KEY | {"condition": {"type": "metric", "field": "duration", "agg": "max", "op": "below", "value": 4}},
    {"query": PHP, "condition": {"type": "metric", "field": "duration", "agg": "cardinality", "value": 2}},
    {"query": PHP, "condition": {"type": "spike", "ratio": 3, "direction": "up"}},
    {"query": "http.response.status_code:>=500", "condition": {"type": "any"}},
    {"query": "http.response.status_code:>=500", "group_by": ["host.name"], "condition": {"type": "any"}},
    {"dsl": {"term": {"event.dataset": "php.error"}}, "condition": {"type": "threshold", "count": 4}},
    {"query": PHP, "condition": {"type": "threshold", "count": 100}},  # matches, never fires
    {"query": "event.dataset:nothing.here", "condition": {"type": "any"}},  # matches nothing
    # Queries that differ only in one keyword term share a terms aggregation (web-9 has no documents).
    {"query": 'event.dataset:"nginx.access"', "condition": {"type": "threshold", "count": 100}},
    *({"query": f"host.name:{h}", **BY_KEY_ONLY, "condition": {"type": "threshold", "count": 1}} for h in HOSTS),
    *({"query": f"host.name:{h}", "condition": {"type": "flatline", "count": 1}} for h in HOSTS),
    *({"query": f"host.name:{h}", "condition": {"type": "spike", "ratio": 2}} for h in HOSTS),
    *({"query": f"host.name:{h}", "condition": {"type": "new_term", "field": "error.grouping_key"}} for h in HOSTS),
    *(
        {
            "query": f"host.name:{h}",
            "condition": {"type": "metric", "field": "duration", "agg": "sum", "op": "below", "value": 5},
        }
        for h in HOSTS
    ),
    *({"query": f"{PHP} AND host.name:{h}", **BY_KEY_ONLY, "condition": {"type": "any"}} for h in HOSTS),
]


def _php(at_minutes: float, key: str, host: str = "web-1", **extra: Any) -> dict[str, Any]:
    return doc(
        T0 + at_minutes * M, message=f"PHP Fatal error: {key}", event__dataset="php.error", host__name=host, **extra
    ) | {"error": {"type": "fatal", "grouping_key": key}}


@pytest.fixture
def logs(es: Elasticsearch) -> str:
    return new_logs_index(
        es,
        [
            _php(-4, "A", duration=10.0),
            _php(-3, "A", host="web-2", duration=20.0),
            _php(-1, "A", duration=30.0),
            _php(0, "A", duration=1000.0),  # at the window end: outside
            _php(-5, "B", duration=1.0),
            _php(-2, "B", duration=3.0),
            _php(-6, "C", duration=5.0),  # only in the 10m window
            _php(-8, "C", duration=5.0),
            _php(-2 * 24 * 60, "A"),
            doc(T0 - 2 * M, message="GET /", event__dataset="nginx.access", http__response__status_code=500),
            doc(T0 - 3 * M, message="GET /x", event__dataset="nginx.access", http__response__status_code=503)
            | {"host": {"name": "web-3"}},
            doc(T0 - 2 * M, message="GET /y", event__dataset="nginx.access", http__response__status_code=200),
        ],
    )


@pytest.fixture
def services(make_services: Callable[..., Services]) -> Services:
    return make_services(scheduler={"enabled": False})


def _create(services: Services, logs: str, name: str, **rule: Any) -> Rule:
    body = {"name": name, "index": logs, "window": "5m", "realert": "0s"} | rule
    return services.store.create(RuleCreate.model_validate(body))


class _Calls:
    """Counts the requests the client sends and keeps the search bodies (the real client still sends them)."""

    def __init__(self, es: Elasticsearch, monkeypatch: pytest.MonkeyPatch) -> None:
        self.search = self.msearch = 0
        self.bodies: list[dict[str, Any]] = []
        for name in ("search", "msearch"):
            real = getattr(es, name)

            def counted(*args: Any, _name: str = name, _real: Any = real, **kwargs: Any) -> Any:
                setattr(self, _name, getattr(self, _name) + 1)
                self.bodies.append(kwargs)
                return _real(*args, **kwargs)

            monkeypatch.setattr(es, name, counted)


def _failed() -> float:
    return float(metrics.RULE_RUNS.labels(outcome="failed")._value.get())


def _findings(result: RunResult) -> dict[str, tuple[Any, ...]]:
    return {f.key: (f.count, f.value, f.previous, [s["_id"] for s in f.samples]) for f in result.evaluation.findings}


def _alerts(result: RunResult) -> list[tuple[Any, ...]]:
    """The history documents of one run, without what names the rule or the moment they were written."""
    return sorted(
        (a["kind"], a["group_key"], a["count"], a.get("value"), str(a.get("group")), tuple(a.get("sample_ids") or ()))  # type: ignore[arg-type]
        for a in result.actions
    )


def test_grouped_search_gives_each_rule_what_its_own_search_gives(
    services: Services, logs: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    alone = [_create(services, logs, f"alone {i}", **r) for i, r in enumerate(RULES)]
    grouped = [_create(services, logs, f"grouped {i}", **r) for i, r in enumerate(RULES)]
    batcher = BatchRunner(services.runner, size=100)
    assert len(batcher.split([(r, T0) for r in grouped])) == 1  # one index, one time field, one window end

    for tick in (T0, T0 + M, T0 + 10 * M):  # fires, fires again, recovers
        expected = [services.runner.run(rule, tick) for rule in alone]
        calls = _Calls(services.es, monkeypatch)
        got = batcher.run([(rule, tick) for rule in grouped])
        monkeypatch.undo()
        assert (calls.search, calls.msearch) == (1, 0)
        assert all(r is not None for r in expected)
        assert all(r is not None for r in got)
        for one, together in zip(expected, got, strict=True):
            assert one is not None
            assert together is not None
            assert _findings(together) == _findings(one)
            assert (together.evaluation.total, together.evaluation.groups_seen) == (
                one.evaluation.total,
                one.evaluation.groups_seen,
            )
            assert _alerts(together) == _alerts(one)
        for one_rule, rule in zip(alone, grouped, strict=True):
            state, grouped_state = services.leases.state(one_rule.id), services.leases.state(rule.id)
            assert grouped_state.last_tick == tick
            assert grouped_state.groups.keys() == state.groups.keys()
        if tick == T0:
            assert sum(1 for r in got if r and r.evaluation.findings) >= 12  # most rules fire on this data
            aggs = calls.bodies[0]["aggs"]
            buckets = sum(len(agg["filters"]["filters"]) for agg in aggs.values() if "filters" in agg)
            terms = [agg["aggs"]["k"]["terms"] for agg in aggs.values() if "filter" in agg]
            # dataset: php.error, nothing.here, nginx.access; host.name: threshold, flatline, spike, new_term
            assert sorted(t["field"] for t in terms) == ["event.dataset", *["host.name"] * 4]
            assert sorted(len(t["include"]) for t in terms) == [3, 3, 3, 3, 3]
            assert buckets == len(RULES) - 1 - 4 - 4 * len(HOSTS)  # rules 0 and 1 share one; the rest in terms
    recovered = [a for r in got if r for a in r.actions if a["kind"] == "recovered"]
    assert recovered  # the last tick's windows are empty


def test_a_rule_the_server_refuses_fails_alone(services: Services, logs: str, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _create(services, logs, "good", **(BY_KEY | {"condition": {"type": "threshold", "count": 3}}))
    refused = _create(services, logs, "refused", dsl={"no_such_query": {"x": 1}}, condition={"type": "any"})
    unknown = _create(services, logs, "unknown", query=PHP, group_by=["no.such.field"], condition={"type": "any"})
    also_good = _create(services, logs, "also good", query="http.response.status_code:>=500", condition={"type": "any"})
    batch = [good, refused, unknown, also_good]

    failed = _failed()
    calls = _Calls(services.es, monkeypatch)
    results = dict(zip([r.id for r in batch], BatchRunner(services.runner).run([(r, T0) for r in batch]), strict=True))
    monkeypatch.undo()
    assert calls.search == 2  # the two good rules together; the refused one alone (the server's 400 is its own)
    assert _failed() - failed == 2

    ok_good, ok_also = results[good.id], results[also_good.id]
    assert ok_good is not None
    assert {f.key: f.count for f in ok_good.evaluation.findings} == {"A": 3}
    assert ok_also is not None
    assert {f.key: f.count for f in ok_also.evaluation.findings} == {"*": 2}
    for bad in (refused, unknown):
        assert results[bad.id] is None
        assert services.leases.state(bad.id).groups == {}  # released with its state unchanged
        assert services.leases.state(bad.id).last_tick is None
    assert services.leases.state(good.id).last_tick == T0


def test_a_rule_on_a_missing_index_fails_as_it_does_alone(services: Services, logs: str) -> None:
    rules = [
        _create(services, "logs-no-such-index", f"missing {i}", condition={"type": "threshold", "count": 1})
        for i in range(3)
    ]
    alone = _create(services, "logs-no-such-index", "missing alone", condition={"type": "threshold", "count": 1})
    with pytest.raises(KeyError):
        services.runner.run(alone, T0)  # no aggregations come back for an index that is not there
    failed = _failed()
    assert BatchRunner(services.runner).run([(r, T0) for r in rules]) == [None] * 3
    assert _failed() - failed == 3
    for rule in rules:
        assert services.leases.state(rule.id).last_tick is None


def test_identical_rules_share_one_bucket_and_batches_count_buckets(services: Services, logs: str) -> None:
    same = [
        _create(services, logs, f"same {i}", **(BY_KEY | {"condition": {"type": "threshold", "count": i + 1}}))
        for i in range(5)
    ]
    other = [
        _create(services, logs, f"other {i}", query=f"host.name:web-{i}", condition={"type": "any"}) for i in range(3)
    ]
    batcher = BatchRunner(services.runner, size=2)
    batches = batcher.split([(r, T0) for r in [*same, *other]])
    assert [len(b) for b in batches] == [6, 2]  # 5 rules in one bucket + one other; then two others
    results = [r for b in batches for r in batcher.run(b)]
    assert all(r is not None for r in results)
    counts = {r.rule_id: {f.key: f.count for f in r.evaluation.findings} for r in results if r}
    assert counts[same[0].id] == {"A": 3, "B": 2}
    assert counts[same[2].id] == {"A": 3}
    assert counts[same[4].id] == {}
    assert counts[other[1].id] == {"*": 4}

"""What a batch does when the server refuses, half-answers or cannot take the grouped search.

The embedded server never refuses a grouped search for one bad bucket (it counts the bucket empty;
the validation step covers that, see the integration tests), so the server's side is a small fake
here: it answers grouped and single searches from a table and raises what Elasticsearch raises.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import elasticsearch
import pytest
from elastic_transport import ApiResponseMeta, HttpHeaders, NodeConfig

from grokpipe.api.kernel.lease import Claim
from grokpipe.api.rules.batch import BatchRunner
from grokpipe.api.rules.conditions import Evaluation, window_for
from grokpipe.api.rules.runner import RunResult
from grokpipe.api.rules.schemas import Rule
from grokpipe.api.rules.state import RuleState
from grokpipe.elasticsearch_client import elasticsearch_errors

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
#: documents in the window per query value (the fake server's data)
COUNTS = {"a": 3, "b": 1, "bad": 0}


def _api_error(status: int) -> elasticsearch.ApiError:
    meta = ApiResponseMeta(
        status=status,
        http_version="1.1",
        headers=HttpHeaders(),
        duration=0.0,
        node=NodeConfig("http", "127.0.0.1", 9200),
    )
    cls = elasticsearch.BadRequestError if status == 400 else elasticsearch.ApiError
    return cls(message="refused", meta=meta, body={"error": {"type": "parsing_exception"}})


def _value(query: dict[str, Any]) -> str:
    """The fake's reading of a rule's query (a bucket's is its ``term`` alone, a search's ``bool.filter[0]``)."""
    term = query["term"] if "term" in query else query["bool"]["filter"][0]["term"]
    return str(term["v"])


@dataclass
class _Indices:
    invalid: set[str]

    def validate_query(self, *, query: dict[str, Any], **_: Any) -> dict[str, Any]:
        return {"valid": query["term"]["v"] not in self.invalid}


@dataclass
class _Server:
    grouped: str = "answer"  # or "refuse", "overloaded", "partial"
    invalid: set[str] = field(default_factory=set)
    searches: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.indices = _Indices(self.invalid)

    def search(self, *, index: str, **body: Any) -> dict[str, Any]:
        if "filters" in str(body.get("aggs", {})):
            self.searches.append("grouped")
            if self.grouped == "refuse":
                raise _api_error(400)
            if self.grouped == "overloaded":
                raise _api_error(503)
            buckets = {}
            for name, agg in body["aggs"].items():
                buckets[name] = {
                    "buckets": {
                        key: {"doc_count": COUNTS[_value(q)], "cur": {"doc_count": COUNTS[_value(q)]}}
                        for key, q in agg["filters"]["filters"].items()
                    }
                }
            failed = 1 if self.grouped == "partial" else 0
            return {"_shards": {"total": 2, "failed": failed}, "aggregations": buckets}
        value = _value(body["query"])
        self.searches.append(value)
        if value == "bad":
            raise _api_error(400)
        return {"hits": {"hits": []}, "aggregations": {"cur": {"doc_count": COUNTS[value]}}}


@dataclass
class _Fields:
    def fields(self, pattern: str) -> dict[str, str]:
        return {"v": "keyword"}

    def keywords(self, pattern: str) -> frozenset[str]:
        return frozenset()  # the filters path: one bucket per query


@dataclass
class _Runner:
    """The parts of RuleRunner a batch uses: claim, compile, query, fail, finish."""

    es: _Server
    fields: _Fields = field(default_factory=_Fields)
    failed: list[str] = field(default_factory=list)

    def claim(self, rule: Rule, tick: datetime) -> Claim[RuleState]:
        return Claim(rule.id, tick, 0, 1, RuleState())

    def compile(self, rule: Rule) -> dict[str, Any]:
        return {"term": {"v": rule.query}}

    def query(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        with elasticsearch_errors("search"):
            return self.es.search(index=index, **body)

    def fail(self, rule: Rule, claim: Claim[RuleState], error: BaseException) -> None:
        self.failed.append(rule.id)

    def finish(
        self, rule: Rule, claim: Claim[RuleState], evaluation: Evaluation, began: float | None = None
    ) -> RunResult:
        start, end = window_for(rule, claim.tick)
        return RunResult(rule.id, claim.tick, start, end, evaluation)


def _rule(name: str, query: str) -> Rule:
    return Rule.model_validate(
        {
            "id": name,
            "version": "0:1",
            "created": T,
            "updated": T,
            "name": name,
            "query": query,
            "condition": {"type": "threshold", "count": 1},
        }
    )


RULES = [_rule("good", "a"), _rule("bad", "bad"), _rule("other", "b")]


def _run(server: _Server) -> tuple[_Runner, dict[str, int | None]]:
    runner = _Runner(server)
    batcher = BatchRunner(runner)  # type: ignore[arg-type]  # the fake has what a batch calls
    results = batcher.run([(rule, T) for rule in RULES])
    counts = {
        rule.id: (sum(f.count for f in r.evaluation.findings) if r is not None else None)
        for rule, r in zip(RULES, results, strict=True)
    }
    return runner, counts


def test_answered_grouped_search_splits_per_rule() -> None:
    runner, counts = _run(_Server())
    assert runner.es.searches == ["grouped"]
    assert counts == {"good": 3, "bad": 0, "other": 1}  # the fake counts the bad bucket empty, as noida-db does
    assert runner.failed == []


def test_refused_grouped_search_searches_each_rule_alone() -> None:
    runner, counts = _run(_Server(grouped="refuse"))
    assert runner.es.searches == ["grouped", "a", "bad", "b"]
    assert counts == {"good": 3, "bad": None, "other": 1}
    assert runner.failed == ["bad"]


def test_partly_failed_grouped_search_searches_each_rule_alone() -> None:
    runner, counts = _run(_Server(grouped="partial"))
    assert runner.es.searches == ["grouped", "a", "bad", "b"]
    assert runner.failed == ["bad"]
    assert counts["good"] == 3


def test_overloaded_server_fails_the_batch_without_more_searches() -> None:
    runner, counts = _run(_Server(grouped="overloaded"))
    assert runner.es.searches == ["grouped"]
    assert sorted(runner.failed) == ["bad", "good", "other"]
    assert set(counts.values()) == {None}


def test_a_query_the_server_does_not_validate_goes_alone() -> None:
    runner, counts = _run(_Server(invalid={"bad"}))
    assert runner.es.searches == ["bad", "grouped"]
    assert runner.failed == ["bad"]
    assert counts == {"good": 3, "bad": None, "other": 1}


@pytest.mark.parametrize("invalid", [{"a", "bad"}, {"a", "b", "bad"}])
def test_one_valid_query_left_is_searched_alone_too(invalid: set[str]) -> None:
    runner, _ = _run(_Server(invalid=invalid))
    assert "grouped" not in runner.es.searches

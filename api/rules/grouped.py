"""Rules that share index, time field and window end, answered by one search (pure functions).

Each rule's single search (:func:`grokpipe.api.rules.conditions.build_search`) is a query (its own
query and time range) plus aggregations (group-by ``terms``, window filters, metric) plus the newest
``size`` hits as samples. :func:`group` turns many of them into one search: one ``filters``
aggregation per distinct *shape* (the aggregations and the sample size), one bucket per distinct
query within it; under every bucket the rule's own aggregations and a ``top_hits`` for the samples.
Rules with identical query and shape share a bucket. :func:`rule_response` cuts one rule's part
back out in the shape its single search answers, so ``evaluate`` runs unchanged.

The outer query only bounds the time range (the widest of the group); each bucket's filter is the
rule's whole query less a time range equal to the outer one, so every rule counts exactly the
documents its single search would.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SAMPLES = "samples"
_BUCKET_META = frozenset({"doc_count", SAMPLES})


@dataclass(frozen=True)
class Slot:
    """Where one rule's answer is: bucket ``bucket`` of the ``filters`` aggregation ``agg``."""

    agg: str
    bucket: str


@dataclass(frozen=True)
class GroupedSearch:
    body: dict[str, Any]
    slots: list[Slot]  # one per input search, in input order

    @property
    def buckets(self) -> int:
        return len(set(self.slots))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    """The sub-aggregations of a rule's bucket: its own aggregations, plus its samples if it takes any."""
    aggs = dict(body.get("aggs", {}))
    size = int(body.get("size", 0))
    if size:
        aggs[SAMPLES] = {"top_hits": {"size": size, "sort": body.get("sort", [])}}
    return aggs


def bucket_filter(query: dict[str, Any], outer: dict[str, Any]) -> dict[str, Any]:
    """A rule's query as a bucket filter under the ``outer`` query: its clause equal to ``outer`` is left out.

    Exact, since every document the bucket sees already matched ``outer``; and the server then
    evaluates one clause less per bucket (most rules' time range is the outer one).
    """
    bool_query = query.get("bool")
    if not isinstance(bool_query, dict) or set(bool_query) != {"filter"} or not isinstance(bool_query["filter"], list):
        return query
    rest = [clause for clause in bool_query["filter"] if clause != outer]
    if len(rest) == len(bool_query["filter"]):
        return query
    if len(rest) == 1:
        return dict(rest[0])
    return {"bool": {"filter": rest}} if rest else {"match_all": {}}


def group(bodies: Sequence[dict[str, Any]], time_field: str, since: datetime, until: datetime) -> GroupedSearch:
    """One search for ``bodies`` (single-search bodies of rules on one index and time field).

    ``[since, until)`` must cover every body's own time range (the caller takes the earliest query
    start and the shared window end).
    """
    outer = {"range": {time_field: {"gte": since.isoformat(), "lt": until.isoformat()}}}
    aggs: dict[str, dict[str, Any]] = {}
    shape_names: dict[str, str] = {}
    bucket_names: dict[tuple[str, str], str] = {}
    slots: list[Slot] = []
    for body in bodies:
        shape = _shape(body)
        shape_key = _canonical(shape)
        agg = shape_names.get(shape_key)
        if agg is None:
            agg = shape_names[shape_key] = f"s{len(shape_names)}"
            aggs[agg] = {"filters": {"filters": {}}, "aggs": shape} if shape else {"filters": {"filters": {}}}
        query = bucket_filter(body["query"], outer)
        query_key = (agg, _canonical(query))
        bucket = bucket_names.get(query_key)
        if bucket is None:
            filters = aggs[agg]["filters"]["filters"]
            bucket = bucket_names[query_key] = f"q{len(filters)}"
            filters[bucket] = query
        slots.append(Slot(agg, bucket))
    body = {
        "query": outer,
        "size": 0,
        "track_total_hits": False,
        "aggs": aggs,
    }
    return GroupedSearch(body, slots)


def rule_response(response: dict[str, Any], slot: Slot) -> dict[str, Any]:
    """The part of ``response`` for the rule at ``slot``, shaped like that rule's single-search response.

    A response without aggregations (no index matched) gives the rule none either, as its own search
    would. Raises KeyError if the aggregation or bucket is missing from a response that has some.
    """
    aggregations = response.get("aggregations")
    if aggregations is None:
        return {"hits": {"hits": []}}
    bucket: dict[str, Any] = aggregations[slot.agg]["buckets"][slot.bucket]
    samples = bucket.get(SAMPLES, {}).get("hits", {}).get("hits", [])
    return {
        "hits": {"total": {"value": int(bucket.get("doc_count", 0)), "relation": "eq"}, "hits": samples},
        "aggregations": {k: v for k, v in bucket.items() if k not in _BUCKET_META},
    }


def shard_failures(response: dict[str, Any]) -> int:
    """Shards that failed: a partial answer, which one rule's single search may not share with the others."""
    return int(response.get("_shards", {}).get("failed", 0) or 0)


def signature(body: dict[str, Any]) -> str:
    """Identity of the bucket a body gets (same shape, same query): for sizing batches before compiling."""
    return _canonical([_shape(body), body.get("query")])

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

Rules of one shape whose queries differ only in the value of one ``term`` on a keyword field (one
rule per service, per dataset) share a ``terms`` aggregation on that field instead, one bucket per
value, under a filter of the clauses they have in common: the server evaluates the common part once,
not once per rule. A value without a bucket had no documents, which stands for an empty answer, so
only shapes whose empty answer is known take this path (counts, groups and samples; not metrics,
whose empty value the server decides). If the server left buckets out (``sum_other_doc_count``),
a missing value is :class:`Uncertain` and that rule is searched alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

SAMPLES = "samples"
TERMS = "k"
_BUCKET_META = frozenset({"doc_count", "key", "key_as_string", SAMPLES})
#: Aggregations whose answer over no documents the server decides (sum 0, avg null): never in a terms bucket.
_METRICS = frozenset({"avg", "min", "max", "sum", "cardinality", "value_count", "stats", "extended_stats"})


class Uncertain(Exception):
    """A rule's terms bucket is missing and the server left buckets out: search the rule alone."""


@dataclass(frozen=True)
class Slot:
    """Where one rule's answer is: bucket ``bucket`` of the ``filters`` aggregation ``agg``, or (with
    ``term``) the bucket with key ``term`` of the terms aggregation under the filter aggregation ``agg``."""

    agg: str
    bucket: str
    term: str | None = None


@dataclass(frozen=True)
class GroupedSearch:
    body: dict[str, Any]
    slots: list[Slot]  # one per input search, in input order
    empty: dict[str, dict[str, Any]]  # per terms-bucketed aggregation: the answer of a bucket with no documents
    elided: dict[str, Elided]  # per aggregation: the filters its shape left out (see elide)

    @property
    def buckets(self) -> int:
        return len(set(self.slots))

    def part(self, response: dict[str, Any], i: int) -> dict[str, Any]:
        """The answer for input search ``i`` (see :func:`rule_response`)."""
        slot = self.slots[i]
        return rule_response(response, slot, self.empty.get(slot.agg), self.elided.get(slot.agg, ()))


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


Elided = tuple[tuple[tuple[str, ...], tuple[str, ...]], ...]  # (path of the filter, its sub-aggregations)


def elide(
    shape: dict[str, Any], conjuncts: list[dict[str, Any]], prefix: tuple[str, ...] = ()
) -> tuple[dict[str, Any], Elided]:
    """``shape`` without the filter aggregations that repeat a clause of the rule's own query.

    Over a bucket's documents such a filter keeps them all (its count is the parent's, its
    sub-aggregations see the same documents), yet a server may evaluate it once per group bucket:
    the window filter of a threshold rule grouped by 100 keys, times 50 rules, is 5,000 scans on the
    embedded server. Its sub-aggregations move up one level; :func:`restore` puts the answer back.
    """
    out: dict[str, Any] = {}
    elided: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    for name, agg in shape.items():
        if set(agg) <= {"filter", "aggs"} and agg.get("filter") in conjuncts:
            sub = agg.get("aggs", {})
            if not any(k in shape or k in out for k in sub):
                out.update(sub)
                elided.append(((*prefix, name), tuple(sub)))
                continue
        if "terms" in agg and isinstance(agg.get("aggs"), dict):
            inner, inner_elided = elide(agg["aggs"], conjuncts, (*prefix, name))
            out[name] = {**agg, "aggs": inner}
            elided.extend(inner_elided)
            continue
        out[name] = agg
    return out, tuple(elided)


def restore(bucket: dict[str, Any], elided: Elided) -> dict[str, Any]:
    """``bucket`` with the answers of the filters :func:`elide` left out, as the server would give them."""
    if not elided:
        return bucket
    out = dict(bucket)
    for path, keys in elided:
        _restore(out, path, keys)
    return out


def _restore(node: dict[str, Any], path: tuple[str, ...], keys: tuple[str, ...]) -> None:
    name = path[0]
    if len(path) == 1:
        node[name] = {"doc_count": node.get("doc_count", 0), **{k: node.pop(k) for k in keys if k in node}}
        return
    sub = node.get(name)
    if isinstance(sub, dict):
        buckets = []
        for bucket in sub.get("buckets", []):
            copied = dict(bucket)
            _restore(copied, path[1:], keys)
            buckets.append(copied)
        node[name] = {**sub, "buckets": buckets}


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


def _keys(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, sub in value.items():
            yield key
            yield from _keys(sub)
    elif isinstance(value, list):
        for item in value:
            yield from _keys(item)


def _conjuncts(query: dict[str, Any]) -> list[dict[str, Any]]:
    """The clauses ``query`` is the AND of (nested ``bool`` filters flattened)."""
    bool_query = query.get("bool")
    if set(query) != {"bool"} or not isinstance(bool_query, dict) or set(bool_query) != {"filter"}:
        return [query]
    inner = bool_query["filter"] if isinstance(bool_query["filter"], list) else [bool_query["filter"]]
    return [clause for sub in inner for clause in (_conjuncts(sub) if isinstance(sub, dict) else [sub])]


def split_term(query: dict[str, Any], keywords: frozenset[str]) -> tuple[str, str, list[dict[str, Any]]] | None:
    """``query`` as (field, value, its other filter clauses) if one clause is a plain ``term`` on a keyword field."""
    clauses = _conjuncts(query)
    for i, clause in enumerate(clauses):
        term = clause.get("term") if isinstance(clause, dict) and set(clause) == {"term"} else None
        if isinstance(term, dict) and len(term) == 1:
            ((field, value),) = term.items()
            if field in keywords and isinstance(value, str):
                return field, value, clauses[:i] + clauses[i + 1 :]
    return None


def empty_answer(shape: dict[str, Any]) -> dict[str, Any]:
    """What the server answers for ``shape`` over no documents (counts, groups and samples only)."""
    out: dict[str, Any] = {}
    for name, agg in shape.items():
        if "terms" in agg:
            out[name] = {"buckets": [], "doc_count_error_upper_bound": 0, "sum_other_doc_count": 0}
        elif "filter" in agg:
            out[name] = {"doc_count": 0, **empty_answer(agg.get("aggs", {}))}
        elif "top_hits" in agg:
            out[name] = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}
        else:
            raise ValueError(f"no known empty answer for aggregation {name}: {sorted(agg)}")
    return out


def _termable(shape: dict[str, Any]) -> bool:
    return not any(key in _METRICS for key in _keys(shape))


def _as_query(clauses: list[dict[str, Any]]) -> dict[str, Any]:
    if not clauses:
        return {"match_all": {}}
    return dict(clauses[0]) if len(clauses) == 1 else {"bool": {"filter": clauses}}


def group(
    bodies: Sequence[dict[str, Any]],
    time_field: str,
    since: datetime,
    until: datetime,
    keywords: frozenset[str] = frozenset(),
) -> GroupedSearch:
    """One search for ``bodies`` (single-search bodies of rules on one index and time field).

    ``[since, until)`` must cover every body's own time range (the caller takes the earliest query
    start and the shared window end). ``keywords``: fields whose ``term`` queries may share a terms
    aggregation (keyword fields without a normalizer, whose bucket keys are the indexed values).
    """
    outer = {"range": {time_field: {"gte": since.isoformat(), "lt": until.isoformat()}}}
    prepared = []
    families: dict[tuple[str, str, str], dict[str, None]] = {}  # (shape, field, other clauses) -> values
    for body in bodies:
        shape, elided = elide(_shape(body), _conjuncts(body["query"]))
        shape_key = _canonical([shape, elided])
        query = bucket_filter(body["query"], outer)
        split = split_term(query, keywords) if keywords and _termable(shape) else None
        family = (shape_key, split[0], _canonical(split[2])) if split else None
        if family is not None and split is not None:
            families.setdefault(family, {})[split[1]] = None
        prepared.append((shape, elided, shape_key, query, split, family))

    aggs: dict[str, dict[str, Any]] = {}
    empty: dict[str, dict[str, Any]] = {}
    family_names: dict[tuple[str, str, str], str] = {}
    shape_names: dict[str, str] = {}
    bucket_names: dict[tuple[str, str], str] = {}
    slots: list[Slot] = []
    restored: dict[str, Elided] = {}
    for shape, elided, shape_key, query, split, family in prepared:
        if family is not None and split is not None and len(families[family]) > 1:
            agg = family_names.get(family)
            if agg is None:
                agg = family_names[family] = f"t{len(family_names)}"
                field, values = split[0], list(families[family])
                clauses = [*split[2], {"terms": {field: values}}]
                terms = {"field": field, "include": values, "size": len(values)}
                aggs[agg] = {"filter": _as_query(clauses), "aggs": {TERMS: {"terms": terms, "aggs": shape}}}
                empty[agg] = {"doc_count": 0, **empty_answer(shape)}
                restored[agg] = elided
            slots.append(Slot(agg, "", split[1]))
            continue
        agg = shape_names.get(shape_key)
        if agg is None:
            agg = shape_names[shape_key] = f"s{len(shape_names)}"
            aggs[agg] = {"filters": {"filters": {}}, "aggs": shape} if shape else {"filters": {"filters": {}}}
            restored[agg] = elided
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
    return GroupedSearch(body, slots, empty, restored)


def rule_response(
    response: dict[str, Any], slot: Slot, empty: dict[str, Any] | None = None, elided: Elided = ()
) -> dict[str, Any]:
    """The part of ``response`` for the rule at ``slot``, shaped like that rule's single-search response.

    A response without aggregations (no index matched) gives the rule none either, as its own search
    would. A terms bucket that is missing had no documents: ``empty`` is the answer then (Uncertain
    if the server left buckets out). Raises KeyError if an aggregation or filters bucket is missing.
    """
    aggregations = response.get("aggregations")
    if aggregations is None:
        return {"hits": {"hits": []}}
    if slot.term is not None:
        terms = aggregations[slot.agg][TERMS]
        found = [b for b in terms["buckets"] if b.get("key") == slot.term]
        if found:
            bucket: dict[str, Any] = found[0]
        elif int(terms.get("sum_other_doc_count", 0) or 0) > 0 or empty is None:
            raise Uncertain(f"no bucket for {slot.term!r} in {slot.agg}, and some were left out")
        else:
            bucket = empty
    else:
        bucket = aggregations[slot.agg]["buckets"][slot.bucket]
    bucket = restore(bucket, elided)
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

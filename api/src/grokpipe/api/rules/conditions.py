"""Rule types as pure functions: a rule and a window → one search body; the response → findings.

One search per evaluation. Groups are nested ``terms`` aggregations (no ``composite``, which some
servers lack); under each group a ``cur`` filter holds the evaluation window, and types that compare
with the past (flatline, spike, new_term) widen the query range and add ``prev``/``before``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from grokpipe.api.kernel.durations import parse_duration
from grokpipe.api.rules.schemas import (
    AnyCondition,
    FlatlineCondition,
    MetricCondition,
    NewTermCondition,
    PercentileCondition,
    RuleBody,
    SpikeCondition,
    ThresholdCondition,
)
from grokpipe.api.search import percentiles

GROUP_SIZE = 1000
#: a percentile condition's reported value comes from buckets this fraction of its threshold wide
PERCENTILE_RESOLUTION = 0.02
UNGROUPED = "*"


@dataclass(frozen=True)
class Finding:
    """One group for which the rule's condition holds."""

    group: dict[str, Any]
    count: int
    value: float | None = None
    previous: int | None = None
    samples: list[dict[str, Any]] = field(default_factory=list)

    @property
    def key(self) -> str:
        return "/".join(str(v) for v in self.group.values()) if self.group else UNGROUPED


@dataclass(frozen=True)
class Evaluation:
    findings: list[Finding]
    total: int
    groups_seen: int


def _iso(moment: datetime) -> str:
    return moment.isoformat()


def query_start(rule: RuleBody, start: datetime) -> datetime:
    cond = rule.condition
    if isinstance(cond, FlatlineCondition | NewTermCondition):
        return start - parse_duration(cond.history)
    if isinstance(cond, SpikeCondition):
        return start - (rule.window_td)
    return start


def group_fields(rule: RuleBody) -> list[str]:
    fields = list(rule.group_by)
    if isinstance(rule.condition, NewTermCondition):
        fields.append(rule.condition.field)
    return fields


def build_search(rule: RuleBody, query: dict[str, Any], start: datetime, end: datetime) -> dict[str, Any]:
    tf = rule.time_field
    window = {"range": {tf: {"gte": _iso(start), "lt": _iso(end)}}}
    leaf: dict[str, Any] = {"cur": {"filter": window}}
    cond = rule.condition
    if isinstance(cond, MetricCondition):
        leaf["cur"]["aggs"] = {"m": {cond.agg: {"field": cond.field}}}
    if isinstance(cond, PercentileCondition):
        leaf["cur"]["aggs"] = percentile_aggs(cond)
    if isinstance(cond, SpikeCondition):
        leaf["prev"] = {"filter": {"range": {tf: {"gte": _iso(start - rule.window_td), "lt": _iso(start)}}}}
    if isinstance(cond, NewTermCondition):
        # "seen before the window" as a filter count: portable, unlike min over dates.
        leaf["before"] = {"filter": {"range": {tf: {"lt": _iso(start)}}}}
    aggs = leaf
    for name in reversed(group_fields(rule)):
        aggs = {"g": {"terms": {"field": name, "size": GROUP_SIZE}, "aggs": aggs}}
    return {
        "query": {
            "bool": {"filter": [query, {"range": {tf: {"gte": _iso(query_start(rule, start)), "lt": _iso(end)}}}]}
        },
        "size": rule.sample_size,
        "sort": [{tf: {"order": "desc"}}],
        "track_total_hits": True,
        "aggs": aggs,
    }


Leaf = tuple[dict[str, Any], dict[str, Any]]


def _walk(aggs: dict[str, Any], fields: list[str], prefix: dict[str, Any]) -> list[Leaf]:
    if not fields:
        return [(prefix, aggs)]
    out: list[Leaf] = []
    for bucket in aggs.get("g", {}).get("buckets", []):
        value = bucket.get("key_as_string", bucket["key"])
        out.extend(_walk(bucket, fields[1:], {**prefix, fields[0]: value}))
    return out


def _get(source: dict[str, Any], dotted: str) -> Any:
    if dotted in source:
        return source[dotted]
    node: Any = source
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def evaluate(rule: RuleBody, response: dict[str, Any], start: datetime) -> Evaluation:
    """Which groups fire, from the response of :func:`build_search`."""
    cond = rule.condition
    groups = _walk(response.get("aggregations", {}), group_fields(rule), {})
    hits = [h.get("_source", {}) | {"_id": h.get("_id")} for h in response.get("hits", {}).get("hits", [])]
    findings: list[Finding] = []
    total = 0
    for group, leaf in groups:
        count = int(leaf["cur"]["doc_count"])
        total += count
        value: float | None = None
        previous: int | None = None
        fires = False
        if isinstance(cond, AnyCondition):
            fires = count >= 1
        elif isinstance(cond, ThresholdCondition):
            fires = count >= cond.count
        elif isinstance(cond, FlatlineCondition):
            fires = count < cond.count
        elif isinstance(cond, NewTermCondition):
            fires = count > 0 and int(leaf["before"]["doc_count"]) == 0
        elif isinstance(cond, SpikeCondition):
            previous = int(leaf["prev"]["doc_count"])
            fires = spike_fires(cond, count, previous)
        elif isinstance(cond, MetricCondition):
            value = leaf["cur"]["m"].get("value")
            fires = value is not None and (value > cond.value if cond.op == "above" else value < cond.value)
        elif isinstance(cond, PercentileCondition):
            fires, value = percentile_fires(cond, leaf["cur"])
        if fires:
            samples = [h for h in hits if all(str(_get(h, f)) == str(v) for f, v in group.items())]
            findings.append(Finding(group, count, value, previous, samples[: rule.sample_size]))
    if not rule.group_by and isinstance(cond, FlatlineCondition) and not groups:
        findings.append(Finding({}, 0))
    return Evaluation(findings, total, len(groups))


def spike_fires(cond: SpikeCondition, current: int, previous: int) -> bool:
    if max(current, previous) < cond.min_count:
        return False
    up = current >= cond.ratio * previous and current > 0
    down = previous >= cond.ratio * current and previous > 0
    return {"up": up, "down": down, "both": up or down}[cond.direction]


def percentile_interval(cond: PercentileCondition) -> float:
    return abs(cond.value) * PERCENTILE_RESOLUTION or 1.0


def percentile_aggs(cond: PercentileCondition) -> dict[str, Any]:
    """The values' stats, the count on the threshold's side that decides, and a histogram for the value."""
    side = {"lte": cond.value} if cond.op == "above" else {"lt": cond.value}
    return {
        "s": {"stats": {"field": cond.field}},
        "at": {"filter": {"range": {cond.field: side}}},
        "h": {"histogram": {"field": cond.field, "interval": percentile_interval(cond), "min_doc_count": 1}},
    }


def percentile_fires(cond: PercentileCondition, cur: dict[str, Any]) -> tuple[bool, float | None]:
    """Nearest rank: the p-th percentile of n values is the ceil(p n / 100)-th smallest. It is above v
    when fewer than p n / 100 values are <= v, below v when at least p n / 100 values are < v."""
    stats = cur.get("s", {})
    n = int(stats.get("count") or 0)
    if n == 0:
        return False, None
    rank = cond.percentile / 100.0 * n
    at = int(cur.get("at", {}).get("doc_count", 0))
    fires = at < rank if cond.op == "above" else at >= rank
    low, high = float(stats["min"]), float(stats["max"])
    buckets = [(float(b["key"]), int(b["doc_count"])) for b in cur.get("h", {}).get("buckets", [])]
    value = percentiles.from_histogram(buckets, percentile_interval(cond), low, high, [cond.percentile])
    return fires, value[percentiles.label(cond.percentile)]


def window_for(rule: RuleBody, tick: datetime) -> tuple[datetime, datetime]:
    """``[tick - query_delay - window, tick - query_delay)``."""
    end = tick - rule.delay_td
    return end - rule.window_td, end


__all__ = ["Evaluation", "Finding", "build_search", "evaluate", "timedelta", "window_for"]

"""Searches over ``logs-*`` for error groups, as pure builders and parsers.

Counting is by ``event.ingested`` (stamped by the indexer when it sends a document), because every
document is ingested once: a slice ``[a, b)`` of ingestion time holds a fixed set of events once
``b`` is older than the settle time, whatever their ``@timestamp`` (late events count too). First
and last seen come from ``top_hits`` sorted on ``@timestamp``, which every server we support
answers (the embedded one returns null for ``min``/``max`` over dates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

KEY = "error.grouping_key"
INGESTED = "event.ingested"
SAMPLES = 5
MAX_KEYS = 10_000
#: what a group takes from its newest event
LATEST_FIELDS = [
    "@timestamp",
    "error.title",
    "error.type",
    "error.culprit",
    "log.level",
    "log.origin.file.name",
    "log.origin.file.line",
]


def iso(moment: datetime) -> str:
    """Millisecond precision, as ``event.ingested`` is stored: slice bounds never split a millisecond."""
    return moment.isoformat(timespec="milliseconds")


def parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def get(source: dict[str, Any], dotted: str) -> Any:
    if dotted in source:
        return source[dotted]
    node: Any = source
    for part in dotted.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(part)
    return node


@dataclass
class KeyStats:
    """What one search saw of one fingerprint."""

    key: str
    seen: int = 0
    settled: int = 0
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    samples: list[str] = field(default_factory=list)
    latest: dict[str, Any] = field(default_factory=dict)
    hosts: list[str] = field(default_factory=list)
    datasets: list[str] = field(default_factory=list)


def changes_search(since: datetime, settled_before: datetime) -> dict[str, Any]:
    """Fingerprints ingested since ``since``; ``settled`` counts those ingested before ``settled_before``."""
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"exists": {"field": KEY}}, {"range": {INGESTED: {"gte": iso(since)}}}]}},
        "aggs": {
            "k": {
                "terms": {"field": KEY, "size": MAX_KEYS},
                "aggs": {
                    "settled": {"filter": {"range": {INGESTED: {"lt": iso(settled_before)}}}},
                    "first": {
                        "top_hits": {"size": 1, "sort": [{"@timestamp": {"order": "asc"}}], "_source": ["@timestamp"]}
                    },
                    "latest": {
                        "top_hits": {
                            "size": SAMPLES,
                            "sort": [{"@timestamp": {"order": "desc"}}],
                            "_source": LATEST_FIELDS,
                        }
                    },
                    "hosts": {"terms": {"field": "host.name", "size": 5}},
                    "datasets": {"terms": {"field": "event.dataset", "size": 5}},
                },
            }
        },
    }


def parse_changes(response: dict[str, Any]) -> dict[str, KeyStats]:
    out: dict[str, KeyStats] = {}
    for bucket in response.get("aggregations", {}).get("k", {}).get("buckets", []):
        latest = bucket["latest"]["hits"]["hits"]
        first = bucket["first"]["hits"]["hits"]
        newest = latest[0].get("_source", {}) if latest else {}
        out[str(bucket["key"])] = KeyStats(
            key=str(bucket["key"]),
            seen=int(bucket["doc_count"]),
            settled=int(bucket["settled"]["doc_count"]),
            first_seen=parse_time(get(first[0].get("_source", {}), "@timestamp")) if first else None,
            last_seen=parse_time(get(newest, "@timestamp")),
            samples=[h["_id"] for h in latest],
            latest=newest,
            hosts=[str(b["key"]) for b in bucket["hosts"]["buckets"]],
            datasets=[str(b["key"]) for b in bucket["datasets"]["buckets"]],
        )
    return out


def counts_search(keys: list[str], since: datetime | None, until: datetime | None) -> dict[str, Any]:
    """Events per fingerprint ingested in ``[since, until)`` (open ends where None)."""
    bounds = {op: iso(t) for op, t in (("gte", since), ("lt", until)) if t is not None}
    filters: list[dict[str, Any]] = [{"terms": {KEY: keys}}]
    if bounds:
        filters.append({"range": {INGESTED: bounds}})
    return {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {"k": {"terms": {"field": KEY, "size": max(1, len(keys))}}},
    }


def window_search(
    keys: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    *,
    datasets: list[str] | None = None,
    levels: list[str] | None = None,
) -> dict[str, Any]:
    """Events per fingerprint with ``@timestamp`` in ``[start, end)``: the counts users see."""
    filters: list[dict[str, Any]] = [{"terms": {KEY: keys}} if keys is not None else {"exists": {"field": KEY}}]
    bounds = {op: iso(t) for op, t in (("gte", start), ("lt", end)) if t is not None}
    if bounds:
        filters.append({"range": {"@timestamp": bounds}})
    if datasets:
        filters.append({"terms": {"event.dataset": datasets}})
    if levels:
        filters.append({"terms": {"log.level": levels}})
    size = max(1, len(keys)) if keys is not None else MAX_KEYS
    return {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": {"k": {"terms": {"field": KEY, "size": size}}}}


def parse_counts(response: dict[str, Any]) -> dict[str, int]:
    return {
        str(b["key"]): int(b["doc_count"]) for b in response.get("aggregations", {}).get("k", {}).get("buckets", [])
    }


Interval = Literal["hour", "day"]


def histogram_search(keys: list[str], start: datetime, end: datetime, interval: Interval) -> dict[str, Any]:
    return {
        "size": SAMPLES,
        "sort": [{"@timestamp": {"order": "desc"}}],
        "query": {
            "bool": {
                "filter": [
                    {"terms": {KEY: keys}},
                    {"range": {"@timestamp": {"gte": iso(start), "lt": iso(end)}}},
                ]
            }
        },
        "aggs": {
            "h": {"date_histogram": {"field": "@timestamp", "fixed_interval": "1h" if interval == "hour" else "1d"}}
        },
    }


def parse_histogram(response: dict[str, Any]) -> list[tuple[datetime, int]]:
    out: list[tuple[datetime, int]] = []
    for bucket in response.get("aggregations", {}).get("h", {}).get("buckets", []):
        moment = parse_time(bucket.get("key_as_string"))
        if moment is not None:
            out.append((moment, int(bucket["doc_count"])))
    return out


def events_search(keys: list[str], offset: int, limit: int) -> dict[str, Any]:
    return {
        "from_": offset,
        "size": limit,
        "sort": [{"@timestamp": {"order": "desc"}}],
        "query": {"bool": {"filter": [{"terms": {KEY: keys}}]}},
        "track_total_hits": True,
    }

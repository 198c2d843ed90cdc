"""Searches over ``logs-*`` for error groups, as pure builders and parsers.

Counting is by ``event.ingested`` (stamped by the indexer when it sends a document), because every
document is ingested once: a slice ``[a, b)`` of ingestion time holds a fixed set of events once
``b`` is older than the settle time, whatever their ``@timestamp`` (late events count too). The
sync reads the new events themselves, in ingestion order (:func:`changes_search`, :func:`fold`);
readers count with plain ``terms`` aggregations (the embedded server returns null for ``min``/``max``
over dates, so none are used).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from grokpipe.fieldnames import ERROR_CULPRIT, ERROR_GROUPING_KEY, ERROR_TITLE

KEY = ERROR_GROUPING_KEY
INGESTED = "event.ingested"
SAMPLES = 5
MAX_KEYS = 10_000
#: what a group takes from its newest event
LATEST_FIELDS = [
    "@timestamp",
    ERROR_TITLE,
    "error.type",
    ERROR_CULPRIT,
    "log.level",
    "log.origin.file.name",
    "log.origin.file.line",
    "service.version",
]
RELEASE = "service.version"
ENVIRONMENT = "service.environment"
#: releases a group remembers (the newest), to tell a later release after "resolved in the next release"
RELEASES = 50


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
    containers: list[str] = field(default_factory=list)
    environments: list[str] = field(default_factory=list)
    first_release: str | None = None  #: the release of the earliest event seen
    releases: dict[str, datetime] = field(default_factory=dict)  #: release -> its newest event's @timestamp


SOURCE_FIELDS = [KEY, INGESTED, "host.name", "event.dataset", "container.name", ENVIRONMENT, *LATEST_FIELDS]
PAGE = 5000


def changes_search(
    since: datetime,
    after: list[Any] | None = None,
    size: int = PAGE,
    *,
    field: str = KEY,
    source: list[str] | None = None,
    before: datetime | None = None,
) -> dict[str, Any]:
    """One page of the events ingested since ``since``, in ingestion order.

    Reading the events themselves (a few fields each) costs what was ingested, whatever the number of
    fingerprints; a ``terms`` aggregation with per-bucket sub-aggregations costs the embedded server a
    scan per bucket.
    """
    bounds = {"gte": iso(since)} | ({"lt": iso(before)} if before is not None else {})
    body: dict[str, Any] = {
        "size": size,
        "query": {"bool": {"filter": [{"exists": {"field": field}}, {"range": {INGESTED: bounds}}]}},
        "sort": [{INGESTED: {"order": "asc"}}, {"event.id": {"order": "asc"}}],
        "_source": source or SOURCE_FIELDS,
        "track_total_hits": False,
    }
    if after is not None:
        body["search_after"] = after
    return body


def fold(hits: list[dict[str, Any]], settled_before: datetime, *, field: str = KEY) -> dict[str, KeyStats]:
    """Per fingerprint: events seen, those ingested before ``settled_before``, first/last seen, newest events."""
    out: dict[str, KeyStats] = {}
    newest: dict[str, list[tuple[datetime, str, dict[str, Any]]]] = {}
    for hit in hits:
        source = hit.get("_source", {})
        key = get(source, field)
        at = parse_time(get(source, "@timestamp"))
        ingested = parse_time(get(source, INGESTED))
        if not isinstance(key, str) or at is None:
            continue
        stats = out.get(key)
        if stats is None:
            stats = out[key] = KeyStats(key=key)
        stats.seen += 1
        if ingested is not None and ingested < settled_before:
            stats.settled += 1
        release = get(source, RELEASE)
        if isinstance(release, str) and release:
            if stats.first_seen is None or at < stats.first_seen:
                stats.first_release = release
            stats.releases[release] = max(at, stats.releases.get(release, at))
        elif stats.first_seen is None or at < stats.first_seen:
            stats.first_release = None
        stats.first_seen = at if stats.first_seen is None else min(stats.first_seen, at)
        stats.last_seen = at if stats.last_seen is None else max(stats.last_seen, at)
        for path, values in (
            ("host.name", stats.hosts),
            ("event.dataset", stats.datasets),
            ("container.name", stats.containers),
            (ENVIRONMENT, stats.environments),
        ):
            value = get(source, path)
            if isinstance(value, str) and value not in values and len(values) < SAMPLES:
                values.append(value)
        top = newest.setdefault(key, [])
        top.append((at, str(hit.get("_id")), source))
        if len(top) > 4 * SAMPLES:
            top.sort(key=lambda item: item[0], reverse=True)
            del top[SAMPLES:]
    for key, top in newest.items():
        top.sort(key=lambda item: item[0], reverse=True)
        out[key].samples = [doc_id for _, doc_id, _ in top[:SAMPLES]]
        out[key].latest = top[0][2]
    return out


def settled_counts_search(before: datetime) -> dict[str, Any]:
    """Events per fingerprint (every fingerprint) ingested before ``before``."""
    query = {"bool": {"filter": [{"exists": {"field": KEY}}, {"range": {INGESTED: {"lt": iso(before)}}}]}}
    return {"size": 0, "query": query, "aggs": {"k": {"terms": {"field": KEY, "size": MAX_KEYS}}}}


def key_events_search(key: str, order: Literal["asc", "desc"], size: int) -> dict[str, Any]:
    """The oldest or newest events of one fingerprint, with what a group takes from them."""
    return {
        "size": size,
        "query": {"bool": {"filter": [{"term": {KEY: key}}]}},
        "sort": [{"@timestamp": {"order": order}}],
        "_source": SOURCE_FIELDS,
    }


def live_counts_search(bounds: dict[datetime, list[str]], *, field: str = KEY) -> dict[str, Any]:
    """Events per fingerprint ingested at or after each fingerprint's own bound, in one request: a
    ``filters`` bucket per distinct bound, each with the counts of its fingerprints."""
    filters = {
        str(i): {"bool": {"filter": [{"terms": {field: keys}}, {"range": {INGESTED: {"gte": iso(bound)}}}]}}
        for i, (bound, keys) in enumerate(bounds.items())
    }
    size = max(1, max((len(keys) for keys in bounds.values()), default=1))
    return {
        "size": 0,
        "query": {"bool": {"filter": [{"terms": {field: [k for keys in bounds.values() for k in keys]}}]}},
        "aggs": {"b": {"filters": {"filters": filters}, "aggs": {"k": {"terms": {"field": field, "size": size}}}}},
    }


def parse_live_counts(response: dict[str, Any]) -> dict[str, int]:
    out: dict[str, int] = {}
    for bucket in response.get("aggregations", {}).get("b", {}).get("buckets", {}).values():
        out |= parse_counts({"aggregations": bucket})
    return out


def counts_search(
    keys: list[str], since: datetime | None, until: datetime | None, *, field: str = KEY
) -> dict[str, Any]:
    """Events per fingerprint ingested in ``[since, until)`` (open ends where None)."""
    bounds = {op: iso(t) for op, t in (("gte", since), ("lt", until)) if t is not None}
    filters: list[dict[str, Any]] = [{"terms": {field: keys}}]
    if bounds:
        filters.append({"range": {INGESTED: bounds}})
    return {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {"k": {"terms": {"field": field, "size": max(1, len(keys))}}},
    }


def window_search(
    keys: list[str] | None,
    start: datetime | None,
    end: datetime | None,
    *,
    datasets: list[str] | None = None,
    levels: list[str] | None = None,
    hosts: list[str] | None = None,
    field: str = KEY,
) -> dict[str, Any]:
    """Events per fingerprint with ``@timestamp`` in ``[start, end)``: the counts users see."""
    filters: list[dict[str, Any]] = [{"terms": {field: keys}} if keys is not None else {"exists": {"field": field}}]
    bounds = {op: iso(t) for op, t in (("gte", start), ("lt", end)) if t is not None}
    if bounds:
        filters.append({"range": {"@timestamp": bounds}})
    if datasets:
        filters.append({"terms": {"event.dataset": datasets}})
    if levels:
        filters.append({"terms": {"log.level": levels}})
    if hosts:
        filters.append({"terms": {"host.name": hosts}})
    size = max(1, len(keys)) if keys is not None else MAX_KEYS
    return {"size": 0, "query": {"bool": {"filter": filters}}, "aggs": {"k": {"terms": {"field": field, "size": size}}}}


def parse_counts(response: dict[str, Any]) -> dict[str, int]:
    return {
        str(b["key"]): int(b["doc_count"]) for b in response.get("aggregations", {}).get("k", {}).get("buckets", [])
    }


Interval = Literal["hour", "day"]


def histogram_search(
    keys: list[str], start: datetime, end: datetime, interval: Interval, *, field: str = KEY
) -> dict[str, Any]:
    return {
        "size": SAMPLES,
        "sort": [{"@timestamp": {"order": "desc"}}],
        "query": {
            "bool": {
                "filter": [
                    {"terms": {field: keys}},
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

"""Searches for patterns over the logs index, as builders and parsers plus one small reader class."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, Literal

from elasticsearch import Elasticsearch
from fastapi import HTTPException

from grokpipe.api.errors import search_failed
from grokpipe.api.patterns.schemas import Bucket, PatternDetail, PatternPublic
from grokpipe.api.rules.schemas import Page
from grokpipe.api.runner import Clock
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError
from grokpipe.fieldnames import LOG_PATTERN_KEY, LOG_PATTERN_TEMPLATE

MAX_LIMIT: Final = 500
SAMPLES: Final = 5
DEFAULT_WINDOW: Final = timedelta(hours=24)
Interval = Literal["hour", "day"]


def window_filter(
    since: datetime, until: datetime, dataset: str | None, level: str | None, host: str | None
) -> list[dict[str, Any]]:
    filters: list[dict[str, Any]] = [
        {"exists": {"field": LOG_PATTERN_KEY}},
        {"range": {"@timestamp": {"gte": since.isoformat(), "lt": until.isoformat()}}},
    ]
    for field, value in (("event.dataset", dataset), ("log.level", level), ("host.name", host)):
        if value is not None:
            filters.append({"term": {field: value}})
    return filters


def list_search(filters: list[dict[str, Any]], limit: int) -> dict[str, Any]:
    return {
        "size": 0,
        "query": {"bool": {"filter": filters}},
        "aggs": {
            "k": {
                "terms": {"field": LOG_PATTERN_KEY, "size": limit},
                "aggs": {
                    "t": {"terms": {"field": LOG_PATTERN_TEMPLATE, "size": 1}},
                    "l": {"terms": {"field": "log.level", "size": 1}},
                    "d": {"terms": {"field": "event.dataset", "size": 1}},
                },
            }
        },
    }


def _top(bucket: dict[str, Any], name: str) -> str | None:
    inner = bucket.get(name, {}).get("buckets", [])
    return str(inner[0]["key"]) if inner else None


def parse_list(response: dict[str, Any]) -> list[PatternPublic]:
    return [
        PatternPublic(
            id=str(b["key"]),
            template=_top(b, "t") or "",
            count=int(b["doc_count"]),
            level=_top(b, "l"),
            dataset=_top(b, "d"),
        )
        for b in response.get("aggregations", {}).get("k", {}).get("buckets", [])
    ]


class Patterns:
    """Reads patterns from the events in ``index``; ``since`` defaults to a day before ``until`` (now)."""

    def __init__(self, es: Elasticsearch, index: str, clock: Clock) -> None:
        self._es = es
        self._index = index
        self._clock = clock

    def _search(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            with elasticsearch_errors(f"search of {self._index}"):
                return dict(self._es.search(index=self._index, allow_no_indices=True, ignore_unavailable=True, **body))
        except ElasticsearchError as exc:
            raise search_failed(f"search of {self._index}", exc) from exc

    def _window(self, since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
        end = until or self._clock()
        return since or end - DEFAULT_WINDOW, end

    def search(
        self,
        *,
        dataset: str | None = None,
        level: str | None = None,
        host: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 50,
    ) -> Page[PatternPublic]:
        start, end = self._window(since, until)
        body = list_search(window_filter(start, end, dataset, level, host), min(limit, MAX_LIMIT))
        items = parse_list(self._search(body))
        return Page(items=items, total=len(items), offset=0, limit=limit)

    def detail(
        self, key: str, *, since: datetime | None = None, until: datetime | None = None, interval: Interval = "hour"
    ) -> PatternDetail:
        start, end = self._window(since, until)
        filters = [*window_filter(start, end, None, None, None), {"term": {LOG_PATTERN_KEY: key}}]
        body = {
            "size": SAMPLES,
            "sort": [{"@timestamp": {"order": "desc"}}],
            "query": {"bool": {"filter": filters}},
            "aggs": {
                **list_search(filters, 1)["aggs"],
                "h": {
                    "date_histogram": {"field": "@timestamp", "fixed_interval": "1h" if interval == "hour" else "1d"}
                },
            },
        }
        response = self._search(body)
        found = parse_list(response)
        if not found:
            raise HTTPException(404, f"no events of pattern {key!r} in the window")
        buckets = [
            Bucket(start=datetime.fromisoformat(str(b["key_as_string"])), count=int(b["doc_count"]))
            for b in response.get("aggregations", {}).get("h", {}).get("buckets", [])
            if b.get("key_as_string")
        ]
        samples = [hit["_source"] for hit in response.get("hits", {}).get("hits", [])]
        return PatternDetail(**found[0].model_dump(), histogram=buckets, samples=samples)

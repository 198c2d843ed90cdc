"""``Searcher``: a search as the page and the command show it, each view one bounded request.

The query is Lucene translated by the query language rules and search share (:func:`.query.lucene_to_dsl`,
typed by the live mapping), never ``query_string``; every request is bounded by the time range first
and asks only for what its view shows: a page of events (``search_after``, never a deep offset), the
histogram with the first page, the top values of one field, the numbers of one field.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from elasticsearch import Elasticsearch

from grokpipe.api.errors import InvalidQuery, InvalidRule, search_failed
from grokpipe.api.search import percentiles
from grokpipe.api.search.fields import FieldCache
from grokpipe.api.search.query import NUMERIC, TEXT, lucene_to_dsl
from grokpipe.api.search.schemas import (
    Bar,
    Event,
    GroupNumbers,
    Histogram,
    Numbers,
    SearchPage,
    Stats,
    TopValue,
    TopValues,
)
from grokpipe.api.search.timerange import TimeRange, bucket_width, iso
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchRejected

log = logging.getLogger(__name__)
TIME_FIELD = "@timestamp"
#: the tie-breaker of the sort: every event's _id is its event.id, so (time, event.id) is a total order
TIEBREAK = "event.id"
MAX_PAGE = 1000
Order = Literal["desc", "asc"]


class Searcher:
    def __init__(self, es: Elasticsearch, fields: FieldCache) -> None:
        self.es = es
        self.fields = fields
        self._percentiles: bool | None = None  # None: not asked yet whether the server has them
        self._lock = threading.Lock()

    # -- the query --------------------------------------------------------------------------------
    def compile(self, query: str, index: str, time_field: str = TIME_FIELD) -> dict[str, Any]:
        """``query`` as DSL; :class:`InvalidQuery` (422) names the reason, the position or the unknown fields."""
        known = self.fields.fields(index)
        if known and time_field not in known:
            raise InvalidQuery(f"unknown fields: {time_field}", fields=[time_field])
        try:
            return lucene_to_dsl(query, known)
        except InvalidRule as exc:
            raise InvalidQuery(exc.message, **exc.details) from None

    def _field(self, index: str, name: str, role: str, *, numeric: bool = False) -> str:
        known = self.fields.fields(index)
        kind = known.get(name)
        if known and kind is None:
            raise InvalidQuery(f"unknown fields: {name}", fields=[name])
        if numeric and kind is not None and kind not in NUMERIC:
            raise InvalidQuery(f"{role} {name} is {kind}, not a number", fields=[name], reason="not numeric")
        if kind in TEXT:
            raise InvalidQuery(f"{role} {name} is full text; use a keyword field", fields=[name], reason="text")
        return name

    # -- views ------------------------------------------------------------------------------------
    def page(
        self,
        query: str,
        span: TimeRange,
        *,
        index: str = "logs-*",
        size: int = 50,
        after: str | None = None,
        columns: Sequence[str] = (),
        histogram: bool = True,
        order: Order = "desc",
        time_field: str = TIME_FIELD,
    ) -> SearchPage:
        """One page of events, newest first (``order=asc``: oldest first), and the histogram if asked for."""
        where = self._where(query, index, span, time_field)
        body: dict[str, Any] = {
            "query": where,
            "size": min(max(size, 0), MAX_PAGE),
            "sort": [
                {time_field: {"order": order}},
                {TIEBREAK: {"order": order, "unmapped_type": "keyword"}},
            ],
        }
        if columns:
            body["_source"] = {"includes": [*columns, time_field]}
        if after:
            body["search_after"] = decode_cursor(after)
        width = bucket_width(span.end - span.start)
        if histogram:
            body["aggs"] = {
                "bars": {
                    "date_histogram": {
                        "field": time_field,
                        "fixed_interval": width[0],
                        "min_doc_count": 0,
                        "extended_bounds": {"min": iso(span.start), "max": iso(span.end)},
                    }
                }
            }
        else:
            body["track_total_hits"] = True
        resp = self._search(index, body)
        hits = resp.get("hits", {})
        events = [to_event(hit, time_field) for hit in hits.get("hits", [])]
        last = hits.get("hits", [])[-1].get("sort") if events else None
        bars = None
        total = int(hits.get("total", {}).get("value", 0))
        relation = hits.get("total", {}).get("relation", "eq")
        if histogram:
            buckets = resp.get("aggregations", {}).get("bars", {}).get("buckets", [])
            bars = Histogram(
                interval=width[0],
                bars=[Bar(start=str(b.get("key_as_string") or b["key"]), count=int(b["doc_count"])) for b in buckets],
            )
            total, relation = sum(b.count for b in bars.bars), "eq"
        return SearchPage(
            query=query,
            start=iso(span.start),
            end=iso(span.end),
            total=total,
            total_relation="gte" if relation == "gte" else "eq",
            took_ms=int(resp.get("took", 0)),
            events=events,
            next=encode_cursor(last) if last is not None and len(events) >= body["size"] > 0 else None,
            histogram=bars,
        )

    def top(
        self,
        query: str,
        span: TimeRange,
        field: str,
        *,
        index: str = "logs-*",
        size: int = 10,
        time_field: str = TIME_FIELD,
    ) -> TopValues:
        """The ``size`` most frequent values of ``field`` among the matching events."""
        where = self._where(query, index, span, time_field)
        self._field(index, field, "field")
        body = {
            "query": where,
            "size": 0,
            "track_total_hits": True,
            "aggs": {
                "values": {"terms": {"field": field, "size": max(1, min(size, 100))}},
                "missing": {"missing": {"field": field}},
            },
        }
        resp = self._search(index, body)
        aggs = resp.get("aggregations", {})
        buckets = aggs.get("values", {}).get("buckets", [])
        values = [TopValue(value=b.get("key_as_string", b["key"]), count=int(b["doc_count"])) for b in buckets]
        return TopValues(
            field=field,
            total=int(resp.get("hits", {}).get("total", {}).get("value", 0)),
            values=values,
            other=int(aggs.get("values", {}).get("sum_other_doc_count", 0)),
            missing=int(aggs.get("missing", {}).get("doc_count", 0)),
        )

    def stats(
        self,
        query: str,
        span: TimeRange,
        field: str,
        *,
        by: str | None = None,
        top: int = 10,
        index: str = "logs-*",
        time_field: str = TIME_FIELD,
    ) -> Stats:
        """count, avg, min, max, p50/p90/p95/p99 of ``field``, overall and per value of ``by`` (its ``top``)."""
        where = self._where(query, index, span, time_field)
        self._field(index, field, "field", numeric=True)
        if by is not None:
            self._field(index, by, "by")
        server = self._has_percentiles(index, where, field)
        aggs: dict[str, Any] = {"overall": {"stats": {"field": field}}}
        if server:
            aggs["overall_pct"] = _percentiles_agg(field)
        if by is not None:
            sub: dict[str, Any] = {"s": {"stats": {"field": field}}}
            if server:
                sub["pct"] = _percentiles_agg(field)
            aggs["groups"] = {"terms": {"field": by, "size": max(1, min(top, 100))}, "aggs": sub}
        resp = self._search(index, {"query": where, "size": 0, "aggs": aggs})
        took = int(resp.get("took", 0))
        got = resp.get("aggregations", {})  # none at all when no index matches: every number is empty
        buckets = got.get("groups", {}).get("buckets", []) if by is not None else []
        if server:
            overall = _numbers(got.get("overall", {}), _server_pct(got.get("overall_pct")), 0.0)
            groups = [
                GroupNumbers(key=_key(b), **_numbers(b["s"], _server_pct(b.get("pct")), 0.0).model_dump())
                for b in buckets
            ]
        else:
            overall, groups, more = self._histogram_percentiles(
                index, where, field, by=by, overall_stats=got.get("overall", {}), buckets=buckets
            )
            took += more
        return Stats(
            query=query,
            field=field,
            by=by,
            start=iso(span.start),
            end=iso(span.end),
            method="percentiles" if server else "histogram",
            took_ms=took,
            overall=overall,
            groups=groups,
        )

    # -- percentiles without the server's ----------------------------------------------------------
    def _histogram_percentiles(
        self,
        index: str,
        where: dict[str, Any],
        field: str,
        *,
        by: str | None,
        overall_stats: Mapping[str, Any],
        buckets: Sequence[Mapping[str, Any]],
    ) -> tuple[Numbers, list[GroupNumbers], int]:
        """A second request: one ``histogram`` per set (overall, each group) over that set's own [min, max]."""
        sets: list[tuple[str, Mapping[str, Any], dict[str, Any] | None]] = [("overall", overall_stats, None)]
        sets += [(f"g{i}", b["s"], {"term": {by: b["key"]}}) for i, b in enumerate(buckets) if by is not None]
        aggs: dict[str, Any] = {}
        for name, stat, where_group in sets:
            if not stat.get("count"):
                continue
            hist = {
                "histogram": {
                    "field": field,
                    "interval": percentiles.interval_for(float(stat["min"]), float(stat["max"])),
                    "min_doc_count": 1,
                }
            }
            aggs[name] = {"filter": where_group, "aggs": {"h": hist}} if where_group else hist
        resp = self._search(index, {"query": where, "size": 0, "aggs": aggs}) if aggs else {}
        got = resp.get("aggregations", {})  # none at all when no index matches: every number is empty

        def numbers(name: str, stat: Mapping[str, Any]) -> Numbers:
            if not stat.get("count"):
                return _numbers(stat, {percentiles.label(p): None for p in percentiles.PERCENTS}, 0.0)
            low, high = float(stat["min"]), float(stat["max"])
            hist = got.get(name, {})
            hist = hist.get("h", hist)
            pairs = [(float(b["key"]), int(b["doc_count"])) for b in hist.get("buckets", [])]
            pct = percentiles.from_histogram(pairs, percentiles.interval_for(low, high), low, high)
            return _numbers(stat, pct, percentiles.error_bound(low, high))

        overall = numbers("overall", overall_stats)
        groups = [GroupNumbers(key=_key(b), **numbers(f"g{i}", b["s"]).model_dump()) for i, b in enumerate(buckets)]
        return overall, groups, int(resp.get("took", 0))

    def _has_percentiles(self, index: str, where: dict[str, Any], field: str) -> bool:
        """Whether the server runs ``percentiles`` (asked once, with a search that matches nothing)."""
        with self._lock:
            known = self._percentiles
        if known is not None:
            return known
        probe: dict[str, Any] = {
            "query": {"bool": {"filter": [where], "must_not": [{"match_all": {}}]}},
            "size": 0,
            "aggs": {"p": _percentiles_agg(field)},
        }
        try:
            with elasticsearch_errors(f"search of {index}"):
                self.es.search(index=index, allow_no_indices=True, ignore_unavailable=True, **probe)
            verdict = True
        except ElasticsearchRejected as exc:
            if "percentiles" not in str(exc.body or exc):
                raise search_failed(f"search of {index}", exc) from exc
            verdict = False
        except ElasticsearchError as exc:
            raise search_failed(f"search of {index}", exc) from exc
        log.info("percentiles aggregation", extra={"supported": verdict})
        with self._lock:
            self._percentiles = verdict
        return verdict

    # -- plumbing ---------------------------------------------------------------------------------
    def _where(self, query: str, index: str, span: TimeRange, time_field: str) -> dict[str, Any]:
        return {"bool": {"filter": [span.filter(time_field), self.compile(query, index, time_field)]}}

    def _search(self, index: str, body: dict[str, Any]) -> dict[str, Any]:
        try:
            with elasticsearch_errors(f"search of {index}"):
                resp = self.es.search(index=index, allow_no_indices=True, ignore_unavailable=True, **body)
        except ElasticsearchRejected as exc:
            if exc.status == 400:
                raise InvalidQuery("the server refused the query", reason=_reason(exc)) from None
            raise search_failed(f"search of {index}", exc) from exc
        except ElasticsearchError as exc:
            raise search_failed(f"search of {index}", exc) from exc
        return dict(resp)


def encode_cursor(sort: Sequence[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(sort), separators=(",", ":")).encode()).decode().rstrip("=")


def decode_cursor(text: str) -> list[Any]:
    try:
        value = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error):
        raise InvalidQuery("after: not a cursor this api gave", reason="cursor") from None
    if not isinstance(value, list):
        raise InvalidQuery("after: not a cursor this api gave", reason="cursor")
    return value


def flatten(source: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"http": {"response": {"status_code": 500}}}`` -> ``{"http.response.status_code": 500}``."""
    out: dict[str, Any] = {}
    for key, value in source.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            out.update(flatten(value, f"{name}."))
        else:
            out[name] = value
    return out


def to_event(hit: Mapping[str, Any], time_field: str = TIME_FIELD) -> Event:
    fields = flatten(hit.get("_source", {}))
    stamp = fields.get(time_field)
    return Event(
        id=str(hit["_id"]), index=str(hit["_index"]), timestamp=None if stamp is None else str(stamp), fields=fields
    )


def _percentiles_agg(field: str) -> dict[str, Any]:
    return {"percentiles": {"field": field, "percents": list(percentiles.PERCENTS)}}


def _server_pct(agg: Mapping[str, Any] | None) -> dict[str, float | None]:
    values = (agg or {}).get("values", {})
    out: dict[str, float | None] = {}
    for p in percentiles.PERCENTS:
        raw = values.get(str(p), values.get(f"{p:g}"))
        out[percentiles.label(p)] = None if raw is None else float(raw)
    return out


def _numbers(stat: Mapping[str, Any], pct: dict[str, float | None], bound: float) -> Numbers:
    count = int(stat.get("count") or 0)
    return Numbers(
        count=count,
        avg=_float(stat.get("avg")) if count else None,
        min=_float(stat.get("min")) if count else None,
        max=_float(stat.get("max")) if count else None,
        percentiles=pct,
        error_bound=bound,
    )


def _float(value: Any) -> float | None:
    return None if value is None else float(value)


def _key(bucket: Mapping[str, Any]) -> Any:
    return bucket.get("key_as_string", bucket["key"])


def _reason(exc: ElasticsearchError) -> str:
    body = exc.body if isinstance(exc.body, Mapping) else {}
    error = body.get("error", {}) if isinstance(body.get("error"), Mapping) else {}
    return str(error.get("reason") or exc)[:300]

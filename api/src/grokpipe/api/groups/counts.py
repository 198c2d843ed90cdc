"""Exact event counts of groups: stored (settled) counts plus what was ingested after each bound."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.errors import search_failed
from grokpipe.api.groups.schemas import EPOCH, ErrorGroup
from grokpipe.api.groups.stats import (
    KEY,
    counts_search,
    live_counts_search,
    parse_counts,
    parse_live_counts,
    window_search,
)
from grokpipe.api.groups.store import GroupStore
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

CHUNK = 1000


class KeyCounter:
    """Counts of events per key of one keyword ``field`` of ``index`` (error groups: the fingerprint;
    patterns: ``log.pattern.key``)."""

    def __init__(self, es: Elasticsearch, index: str, *, field: str = KEY) -> None:
        self.es = es
        self.index = index
        self.field = field

    def search(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            with elasticsearch_errors(f"search of {self.index}"):
                return dict(self.es.search(index=self.index, allow_no_indices=True, ignore_unavailable=True, **body))
        except ElasticsearchError as exc:
            raise search_failed(f"search of {self.index}", exc) from exc

    def between(self, keys: list[str], since: datetime, until: datetime | None) -> dict[str, int]:
        """Events per fingerprint ingested in ``[since, until)``."""
        out: dict[str, int] = {}
        for i in range(0, len(keys), CHUNK):
            body = counts_search(keys[i : i + CHUNK], since if since > EPOCH else None, until, field=self.field)
            out |= parse_counts(self.search(body))
        return out

    def live(self, bounds: dict[datetime, list[str]]) -> dict[str, int]:
        """Events per key ingested at or after each key's own bound."""
        if not bounds:
            return {}
        return parse_live_counts(self.search(live_counts_search(bounds, field=self.field)))

    def window(
        self,
        keys: list[str] | None,
        start: datetime | None,
        end: datetime | None,
        *,
        datasets: list[str] | None = None,
        levels: list[str] | None = None,
        hosts: list[str] | None = None,
    ) -> dict[str, int]:
        """Events per key with ``@timestamp`` in ``[start, end)`` (all keys if ``keys`` is None)."""
        filters: dict[str, Any] = {"datasets": datasets, "levels": levels, "hosts": hosts, "field": self.field}
        if keys is None:
            return parse_counts(self.search(window_search(None, start, end, **filters)))
        out: dict[str, int] = {}
        for i in range(0, len(keys), CHUNK):
            out |= parse_counts(self.search(window_search(keys[i : i + CHUNK], start, end, **filters)))
        return out


class Counter(KeyCounter):
    """Counts of error groups (fingerprints in ``error.grouping_key``)."""

    def __init__(self, es: Elasticsearch, store: GroupStore, index: str) -> None:
        super().__init__(es, index)
        self.store = store

    def members(self, groups: list[ErrorGroup]) -> dict[str, ErrorGroup]:
        """Every fingerprint's document, the groups' own and their aliases'."""
        docs = {g.id: g for g in groups}
        missing = [alias for g in groups for alias in g.aliases if alias not in docs]
        docs |= {k: v.group for k, v in self.store.many(missing).items()}
        return docs

    def totals(self, groups: list[ErrorGroup]) -> dict[str, int]:
        """Each group's events ever, its aliases' included: stored counts + live counts past each bound."""
        docs = self.members(groups)
        by_bound: dict[datetime, list[str]] = {}
        for key, doc in docs.items():
            by_bound.setdefault(doc.settled_through, []).append(key)
        live = parse_live_counts(self.search(live_counts_search(by_bound))) if by_bound else {}
        out: dict[str, int] = {}
        for group in groups:
            keys = [group.id, *group.aliases]
            out[group.id] = sum((docs[k].count if k in docs else 0) + live.get(k, 0) for k in keys)
        return out

    def per_group(self, groups: list[ErrorGroup], window: dict[str, int]) -> dict[str, int]:
        return {g.id: sum(window.get(k, 0) for k in [g.id, *g.aliases]) for g in groups}

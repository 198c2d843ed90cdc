"""The fields of an index pattern as its live mapping types them, the query language's input
(:mod:`.query`): read from Elasticsearch, never from the indexer's code, and cached per pattern.
Search owns it; rules use it to check and compile their queries."""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.errors import search_failed
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound


def flatten_mapping(mappings: Mapping[str, Any]) -> dict[str, str]:
    """``GET <pattern>/_mapping`` response → ``{"http.response.status_code": "long", ...}``."""
    fields: dict[str, str] = {}

    def walk(props: Mapping[str, Any], prefix: str) -> None:
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")
            if "type" in spec:
                fields.setdefault(path, spec["type"])
            for sub, sub_spec in spec.get("fields", {}).items():
                fields.setdefault(f"{path}.{sub}", sub_spec.get("type", "keyword"))

    for index in mappings.values():
        walk(index.get("mappings", {}).get("properties", {}), "")
    return fields


def plain_keywords(mappings: Mapping[str, Any]) -> frozenset[str]:
    """Fields mapped as ``keyword`` without a normalizer in every index that has them.

    Their ``terms`` bucket keys are exactly the values a ``term`` query compares with.
    """
    plain: set[str] = set()
    other: set[str] = set()

    def walk(props: Mapping[str, Any], prefix: str) -> None:
        for name, spec in props.items():
            path = f"{prefix}{name}"
            if "properties" in spec:
                walk(spec["properties"], f"{path}.")
            if "type" in spec:
                (plain if spec["type"] == "keyword" and "normalizer" not in spec else other).add(path)
            for sub, sub_spec in spec.get("fields", {}).items():
                kind = sub_spec.get("type", "keyword")
                (plain if kind == "keyword" and "normalizer" not in sub_spec else other).add(f"{path}.{sub}")

    for index in mappings.values():
        walk(index.get("mappings", {}).get("properties", {}), "")
    return frozenset(plain - other)


class FieldCache:
    """Live mappings per index pattern, refreshed every ``ttl`` seconds."""

    def __init__(self, es: Elasticsearch, ttl: float = 60.0) -> None:
        self.es = es
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, str], frozenset[str]]] = {}
        self._lock = threading.Lock()

    def fields(self, pattern: str) -> dict[str, str]:
        return self._load(pattern)[1]

    def keywords(self, pattern: str) -> frozenset[str]:
        """Fields that are ``keyword`` without a normalizer in every index of ``pattern``."""
        return self._load(pattern)[2]

    def _load(self, pattern: str) -> tuple[float, dict[str, str], frozenset[str]]:
        with self._lock:
            hit = self._cache.get(pattern)
        if hit and time.monotonic() - hit[0] < self.ttl:
            return hit
        try:
            with elasticsearch_errors(f"reading the mapping of {pattern}"):
                mapping = dict(self.es.indices.get_mapping(index=pattern, allow_no_indices=True))
        except ElasticsearchNotFound:
            mapping = {}
        except ElasticsearchError as exc:
            raise search_failed(f"reading the mapping of {pattern}", exc) from exc
        loaded = (time.monotonic(), flatten_mapping(mapping), plain_keywords(mapping))
        with self._lock:
            self._cache[pattern] = loaded
        return loaded

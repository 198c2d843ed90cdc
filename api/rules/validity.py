"""Whether the server accepts a rule's query, asked once per query (``_validate/query``) and remembered.

A grouped search is refused as a whole when one of its queries is bad (Elasticsearch answers 400),
and the batch then searches each rule alone. Some servers are lenient inside aggregations instead:
the embedded one counts a bucket whose query it cannot parse as empty, where the same query alone is
a 400. Asking the server to validate every distinct query before it joins a grouped search keeps the
outcome the same on both: a query the server refuses is searched alone and fails alone, with the
server's own error. Verdicts are kept for ``ttl`` seconds (a mapping change can turn one).
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.errors import ElasticsearchError, elasticsearch_errors

DEFAULT_TTL = 600.0


class QueryValidity:
    def __init__(self, es: Elasticsearch, ttl: float = DEFAULT_TTL) -> None:
        self.es = es
        self.ttl = ttl
        self._verdicts: dict[tuple[str, str], tuple[float, bool]] = {}
        self._lock = threading.Lock()

    def valid(self, index: str, query: dict[str, Any]) -> bool:
        """True if the server accepts ``query`` on ``index``; False if it refuses it or could not be asked."""
        key = (index, json.dumps(query, sort_keys=True, separators=(",", ":"), default=str))
        now = time.monotonic()
        with self._lock:
            hit = self._verdicts.get(key)
        if hit is not None and now - hit[0] < self.ttl:
            return hit[1]
        try:
            with elasticsearch_errors(f"validating a rule query on {index}"):
                resp = self.es.indices.validate_query(
                    index=index, query=query, allow_no_indices=True, ignore_unavailable=True
                )
        except ElasticsearchError:
            return False  # not remembered: the rule is searched alone this time, and asked about again
        verdict = bool(resp.get("valid", False))
        with self._lock:
            self._verdicts[key] = (now, verdict)
        return verdict

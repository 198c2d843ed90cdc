"""Whether the server accepts a rule's query, asked once per query (``_validate/query``) and remembered.

A grouped search is refused as a whole when one of its queries is bad (Elasticsearch answers 400),
and the batch then searches each rule alone. Some servers are lenient inside aggregations instead:
the embedded one counts a bucket whose query it cannot parse as empty, where the same query alone is
a 400. Asking the server to validate every distinct query before it joins a grouped search keeps the
outcome the same on both: a query the server refuses is searched alone and fails alone, with the
server's own error. A verdict holds for one query under one mapping of the index (a mapping change
can turn it), so it is kept under both; the embedded server runs the query to validate it, so
asking once per query and mapping matters.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

#: Verdicts kept at most (then forgotten all at once: rules are re-validated on their next run).
MAX_VERDICTS = 10_000


class QueryValidity:
    def __init__(self, es: Elasticsearch) -> None:
        self.es = es
        self._verdicts: dict[tuple[str, Hashable, str], bool] = {}
        self._lock = threading.Lock()

    def valid(self, index: str, query: dict[str, Any], mapping: Hashable = None) -> bool:
        """True if the server accepts ``query`` on ``index`` (whose mapping is ``mapping``); False if it
        refuses it or could not be asked."""
        key = (index, mapping, json.dumps(query, sort_keys=True, separators=(",", ":"), default=str))
        with self._lock:
            hit = self._verdicts.get(key)
        if hit is not None:
            return hit
        try:
            with elasticsearch_errors(f"validating a rule query on {index}"):
                resp = self.es.indices.validate_query(
                    index=index, query=query, allow_no_indices=True, ignore_unavailable=True
                )
        except ElasticsearchError:
            return False  # not remembered: the rule is searched alone this time, and asked about again
        verdict = bool(resp.get("valid", False))
        with self._lock:
            if len(self._verdicts) >= MAX_VERDICTS:
                self._verdicts.clear()
            self._verdicts[key] = verdict
        return verdict

"""The rules' store (``grokpipe-rules``, :class:`grokpipe.api.kernel.documents.DocumentStore` over their model)
and the indices the rules write (alerts, lease state). The digests' store is theirs
(:mod:`grokpipe.api.digests.store`)."""

from __future__ import annotations

from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.kernel.documents import DEFINITIONS_MAPPING, DocumentStore
from grokpipe.api.kernel.settings import IndicesSettings
from grokpipe.api.rules.schemas import Rule, RuleBody
from grokpipe.indices import create_index

_KEYWORD = {"type": "keyword"}
MAPPINGS: dict[str, dict[str, Any]] = {
    "rules": DEFINITIONS_MAPPING,
    "alerts": {
        "dynamic": False,
        "properties": {
            "@timestamp": {"type": "date"},
            "tick": {"type": "date"},
            "rule": {"properties": {"id": _KEYWORD, "name": _KEYWORD}},
            "kind": _KEYWORD,
            "group_key": _KEYWORD,
            "count": {"type": "long"},
            "notified": {"type": "boolean"},
        },
    },
    "state": {"dynamic": False, "properties": {"last_tick": {"type": "date"}, "owner": _KEYWORD}},
}


def ensure_indices(es: Elasticsearch, indices: IndicesSettings) -> None:
    for key, name in (
        ("rules", indices.rules),
        ("alerts", indices.alerts),
        ("state", indices.state),
    ):
        create_index(es, name, MAPPINGS[key])


class RuleStore(DocumentStore[RuleBody, Rule]):
    kind = "rule"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, Rule)

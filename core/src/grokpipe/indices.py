"""Index and index-template installation, one way for every service: put the template, or create the index,
and on a server that lacks a field type (400), fall back to the older types it has.

The indexer installs ``logs-*-*`` and the dead-letter index, the api its own indices and ``synthetics-http-*``:
each names its own mappings, and they share only this."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchRejected

log = logging.getLogger(__name__)

#: Field types an older server (or the embedded one) lacks, and what stands in for them.
_FALLBACK_TYPES = {"match_only_text": "text", "wildcard": "keyword", "flattened": "object"}
_BAD_REQUEST = 400


def downgrade(node: Any) -> Any:
    """The mapping with field types an older server lacks replaced (``wildcard`` -> ``keyword``...)."""
    if isinstance(node, dict):
        out = {key: downgrade(value) for key, value in node.items()}
        kind = out.get("type")
        if isinstance(kind, str) and kind in _FALLBACK_TYPES:  # ("type" may also be a field: agent.type)
            out["type"] = _FALLBACK_TYPES[kind]
            if out["type"] == "object":
                out = {"type": "object", "enabled": True}
            elif out["type"] == "keyword":
                out.pop("fields", None)
        return out
    if isinstance(node, list):
        return [downgrade(item) for item in node]
    return node


def put_index_template(es: Elasticsearch, name: str, body: dict[str, Any]) -> bool:
    """Install (or update) the composable template ``name``; True if the server took it as written, False if
    its field types had to fall back (a 400 on the first try). Other refusals raise."""
    try:
        with elasticsearch_errors(f"installing index template {name}"):
            es.indices.put_index_template(name=name, **body)
    except ElasticsearchRejected as exc:
        if exc.status != _BAD_REQUEST:
            raise
        log.warning(
            "server rejected the index template; retrying with older field types",
            extra={"template": name, "error.message": str(exc)[:300]},
        )
        with elasticsearch_errors(f"installing index template {name} with older field types"):
            es.indices.put_index_template(name=name, **downgrade(body))
        return False
    return True


def create_index(es: Elasticsearch, name: str, mappings: dict[str, Any]) -> bool:
    """Create ``name`` unless it exists; True when this call created it."""
    try:
        with elasticsearch_errors(f"creating index {name}"):
            es.indices.create(index=name, mappings=mappings)
    except ElasticsearchRejected as exc:
        if exc.status != _BAD_REQUEST or "already_exists" not in str(exc.error_type):
            raise
        return False
    return True

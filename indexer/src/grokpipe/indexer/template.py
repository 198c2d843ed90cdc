"""Index templates and the ILM policy, installed idempotently at start (or by ``--setup-only``).

``templates/logs.json`` is the one source of truth for the mapping of ``logs-*-*``: the indexer
installs it, the compose stack's setup service runs the same command. Field types newer than a
server knows (``match_only_text``, ``wildcard``, ``flattened``) are replaced by their closest
older type when, and only when, the server rejects them.

Client exceptions are mapped at each call (:func:`grokpipe.errors.elasticsearch_errors`): a server
that refuses a request (4xx) is answered here (no ILM, older field types, index already there);
an unavailable one raises :class:`~grokpipe.errors.ElasticsearchUnavailable`, which the caller
retries, and anything else is a bug and surfaces.
"""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchRejected
from grokpipe.indices import create_index, put_index_template

log = logging.getLogger(__name__)

TEMPLATES = Path(__file__).resolve().parent / "templates"
LOGS_TEMPLATE = "grokpipe-logs"
ILM_POLICY = "grokpipe-logs"
DEADLETTER_INDEX = "grokpipe-deadletter"


ILM_BODY: dict[str, Any] = {
    "phases": {
        "hot": {"actions": {"rollover": {"max_primary_shard_size": "50gb", "max_age": "7d"}}},
        "delete": {"min_age": "30d", "actions": {"delete": {}}},
    }
}

DEADLETTER_MAPPINGS: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "event": {
            "properties": {"id": {"type": "keyword"}, "original": {"type": "text"}, "dataset": {"type": "keyword"}}
        },
        "error": {"properties": {"type": {"type": "keyword"}, "reason": {"type": "text"}, "status": {"type": "long"}}},
        "target_index": {"type": "keyword"},
    }
}


def logs_template() -> dict[str, Any]:
    body: dict[str, Any] = json.loads((TEMPLATES / "logs.json").read_text())
    return body


def install_ilm_policy(es: Elasticsearch) -> bool:
    """True when the server has ILM and the policy is in place; False (with a warning) otherwise."""
    try:
        with elasticsearch_errors("installing the ILM policy"):
            es.ilm.put_lifecycle(name=ILM_POLICY, policy=ILM_BODY)
    except ElasticsearchRejected as exc:  # an outage is not "no ILM": it raises, and setup retries
        log.warning(
            "server has no ILM; indices are kept until deleted",
            extra={"error.message": str(exc)[:200], "policy": ILM_POLICY},
        )
        return False
    return True


def install_templates(es: Elasticsearch) -> dict[str, Any]:
    """Install (or update) everything the indexer writes to; returns what was done."""
    template = logs_template()
    with_ilm = install_ilm_policy(es)
    if with_ilm:
        template = copy.deepcopy(template)
        template["template"]["settings"].setdefault("index", {})["lifecycle"] = {"name": ILM_POLICY}
    downgraded = not put_index_template(es, LOGS_TEMPLATE, template)
    create_index(es, DEADLETTER_INDEX, DEADLETTER_MAPPINGS)
    return {"template": LOGS_TEMPLATE, "ilm": with_ilm, "downgraded": downgraded}

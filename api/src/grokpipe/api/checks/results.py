"""Check results in the data stream ``synthetics-http-<namespace>``: one document per run and matrix row,
with Heartbeat's field names where they fit (``monitor.*``, ``url.full``, ``http.response.status_code``,
``summary.up``/``down``, ``error.message``) and the steps, stored values and timings under ``check``.

The index template declares ``data_stream: {}``; a server without data streams (noida-db) takes the
template's mappings for a plain index of that name, and writes are ``create`` either way. Field types
a server lacks (``flattened``) fall back like the indexer's template does.
"""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.checks.schemas import CheckRun, RowResult, RunRecord
from grokpipe.api.errors import search_failed
from grokpipe.api.kernel.schemas import Page
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError, ElasticsearchNotFound
from grokpipe.indices import put_index_template

log = logging.getLogger(__name__)
TEMPLATE = "grokpipe-synthetics-http"
_KW = {"type": "keyword"}
_LONG = {"type": "long"}
_STEP = {
    "properties": {
        "name": _KW,
        "kind": _KW,
        "status": _KW,
        "error": {"type": "text"},
        "duration_ms": {"type": "double"},
        "method": _KW,
        "url": _KW,
        "status_code": _LONG,
        "response_time_ms": {"type": "double"},
        "body": {"type": "text", "index": False},
        "assertions": {"properties": {"condition": _KW, "passed": {"type": "boolean"}, "detail": {"type": "text"}}},
        "stored": {"type": "flattened"},
    }
}
MAPPINGS: dict[str, Any] = {
    "dynamic": False,
    "properties": {
        "@timestamp": {"type": "date"},
        "data_stream": {"properties": {"type": _KW, "dataset": _KW, "namespace": _KW}},
        "monitor": {
            "properties": {
                "id": _KW,
                "name": _KW,
                "type": _KW,
                "status": _KW,
                "check_group": _KW,
                "duration": {"properties": {"us": _LONG}},
            }
        },
        "url": {"properties": {"full": _KW}},
        "http": {"properties": {"response": {"properties": {"status_code": _LONG}}}},
        "summary": {"properties": {"up": _LONG, "down": _LONG}},
        "error": {"properties": {"message": {"type": "text"}}},
        "check": {
            "properties": {
                "run_id": _KW,
                "row_key": _KW,
                "row": {"type": "flattened"},
                "status": _KW,
                "error": {"type": "text"},
                "duration_ms": {"type": "double"},
                "steps": _STEP,
                "stored": {"type": "flattened"},
                "values": {"type": "object", "dynamic": True},
            }
        },
    },
}


def data_stream(namespace: str) -> str:
    return f"synthetics-http-{namespace}"


def install_template(es: Elasticsearch) -> bool:
    """Install the ``synthetics-http-*`` template (priority 200, over Elasticsearch's built-in one);
    True if the server took it as written, False if field types had to fall back."""
    body: dict[str, Any] = {
        "index_patterns": ["synthetics-http-*"],
        "data_stream": {},
        "priority": 200,
        "template": {"mappings": MAPPINGS},
        "_meta": {"managed_by": "grokpipe api"},
    }
    return put_index_template(es, TEMPLATE, body)


def document(run: CheckRun, row: RowResult, namespace: str) -> dict[str, Any]:
    """One row of a run as a Heartbeat-like document (the step that failed, else the last request, names the URL)."""
    requests = [s for s in row.steps if s.kind == "request" and s.status != "skipped"]
    failed = next((s for s in requests if s.status == "failed"), None)
    main = failed or (requests[-1] if requests else None)
    up = row.status == "up"
    doc: dict[str, Any] = {
        "@timestamp": run.started.isoformat(),
        "data_stream": {"type": "synthetics", "dataset": "http", "namespace": namespace},
        "monitor": {
            "id": run.check_id,
            "name": run.check_name,
            "type": "http",
            "status": row.status,
            "check_group": run.run_id,
            "duration": {"us": int(row.duration_ms * 1000)},
        },
        "summary": {"up": int(up), "down": int(not up)},
        "check": row.model_dump(mode="json")
        | {
            "run_id": run.run_id,
            "values": {k: v for k, v in row.stored.items() if isinstance(v, int | float) and not isinstance(v, bool)},
        },
    }
    if main is not None and main.url:
        doc["url"] = {"full": main.url}
    if main is not None and main.status_code is not None:
        doc["http"] = {"response": {"status_code": main.status_code}}
    if row.error:
        doc["error"] = {"message": row.error}
    return doc


def record(source: dict[str, Any]) -> RunRecord:
    check = dict(source["check"])
    check.pop("values", None)
    monitor = source["monitor"]
    return RunRecord.model_validate(
        check | {"check_id": monitor["id"], "check_name": monitor["name"], "timestamp": source["@timestamp"]}
    )


class ResultStore:
    def __init__(self, es: Elasticsearch, namespace: str) -> None:
        self.es = es
        self.namespace = namespace
        self.index = data_stream(namespace)

    def ensure(self) -> None:
        install_template(self.es)

    def write(self, run: CheckRun) -> None:
        try:
            with elasticsearch_errors(f"writing check results to {self.index}"):
                for row in run.rows:
                    doc = document(run, row, self.namespace)
                    self.es.index(index=self.index, document=doc, op_type="create", refresh=True)
        except ElasticsearchError as exc:
            raise search_failed("writing check results", exc) from exc

    def _search(self, query: dict[str, Any], *, offset: int, limit: int) -> tuple[list[RunRecord], int]:
        try:
            with elasticsearch_errors(f"reading check results from {self.index}"):
                resp = self.es.search(
                    index=self.index,
                    query=query,
                    from_=offset,
                    size=limit,
                    sort=[{"@timestamp": "desc"}, {"check.row_key": "asc"}],
                    track_total_hits=True,
                    ignore_unavailable=True,
                    allow_no_indices=True,
                )
        except ElasticsearchNotFound:
            return [], 0
        except ElasticsearchError as exc:
            raise search_failed("reading check results", exc) from exc
        hits = resp["hits"]["hits"]
        return [record(h["_source"]) for h in hits], resp["hits"]["total"]["value"]

    def history(self, check_id: str, *, offset: int = 0, limit: int = 50) -> Page[RunRecord]:
        items, total = self._search({"term": {"monitor.id": check_id}}, offset=offset, limit=limit)
        return Page[RunRecord](items=items, total=total, offset=offset, limit=limit)

    def latest(self, check_id: str) -> list[RunRecord]:
        """The rows of the check's latest run (empty if it never ran)."""
        newest, _ = self._search({"term": {"monitor.id": check_id}}, offset=0, limit=1)
        if not newest:
            return []
        query = {"bool": {"filter": [{"term": {"monitor.id": check_id}}, {"term": {"check.run_id": newest[0].run_id}}]}}
        rows, _ = self._search(query, offset=0, limit=500)
        return sorted(rows, key=lambda r: r.row_key)

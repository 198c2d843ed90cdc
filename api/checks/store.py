"""Saved checks (``grokpipe-checks``) and reports (``grokpipe-reports``): the generic document store."""

from __future__ import annotations

from elasticsearch import BadRequestError, Elasticsearch

from grokpipe.api.checks.schemas import Check, CheckBody, Report, ReportBody
from grokpipe.api.store import MAPPINGS, DocumentStore


def _ensure(es: Elasticsearch, index: str) -> None:
    try:
        es.indices.create(index=index, mappings=MAPPINGS["rules"])  # name, enabled, tags
    except BadRequestError as exc:
        if "already_exists" not in str(exc.error):
            raise


class CheckStore(DocumentStore[CheckBody, Check]):
    kind = "check"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, Check)
        _ensure(es, index)


class ReportStore(DocumentStore[ReportBody, Report]):
    kind = "report"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, Report)
        _ensure(es, index)

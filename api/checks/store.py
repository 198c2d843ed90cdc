"""Saved checks (``grokpipe-checks``) and reports (``grokpipe-reports``): the generic document store."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from grokpipe.api.checks.schemas import Check, CheckBody, Report, ReportBody
from grokpipe.api.store import MAPPINGS, DocumentStore, create_index


def _ensure(es: Elasticsearch, index: str) -> None:
    create_index(es, index, MAPPINGS["rules"])  # name, enabled, tags


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

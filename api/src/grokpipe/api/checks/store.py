"""Saved checks (``grokpipe-checks``) and reports (``grokpipe-reports``): the generic document store.

A check's secrets are sealed on their way in and opened on their way out (:mod:`.sealing`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.api.checks.schemas import Check, CheckBody, Report, ReportBody
from grokpipe.api.checks.sealing import Sealer
from grokpipe.api.kernel.documents import DEFINITIONS_MAPPING, DocumentStore
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchConflict, ElasticsearchError
from grokpipe.indices import create_index

log = logging.getLogger(__name__)


def _ensure(es: Elasticsearch, index: str) -> None:
    create_index(es, index, DEFINITIONS_MAPPING)


class CheckStore(DocumentStore[CheckBody, Check]):
    kind = "check"

    def __init__(self, es: Elasticsearch, index: str, sealer: Sealer | None = None) -> None:
        super().__init__(es, index, Check)
        self.sealer = sealer or Sealer([])
        _ensure(es, index)

    def _encode(self, body: CheckBody, current: Check | None = None) -> dict[str, Any]:
        doc = super()._encode(body, current)
        sealed = self.sealer.seal_all(doc.get("secrets") or {})
        kept = current.unopened_secrets if current is not None else {}  # as stored: only their key opens them
        doc["secrets"] = {name: value for name, value in kept.items() if name not in sealed} | sealed
        return doc

    def _load(self, source: dict[str, Any], doc_id: str, version: str) -> Check:
        opened = self.sealer.open_all(source.get("secrets") or {})
        data = source | {"secrets": opened.secrets, "unopened_secrets": opened.unopened}
        return self.stored.model_validate(data | {"id": doc_id, "version": version})

    def replace(
        self, current: Check, body: CheckBody, version: str | None = None, *, keep_secrets: bool = False
    ) -> Check:
        """``body``'s secrets replace the stored ones (PUT, or a PATCH that sets ``secrets``); with
        ``keep_secrets`` (a PATCH that does not), the ones this api cannot open are kept as stored too."""
        if not keep_secrets:
            current = current.model_copy(update={"unopened_secrets": {}})
        return super().replace(current, body, version)

    def reseal(self) -> int:
        """Seal under the first key every stored secret that is plain or sealed under another key (a
        compare-and-set per check: one written meanwhile was sealed by that write); how many were."""
        if not self.sealer.enabled:
            return 0
        resealed = 0
        for hit in list(self._hits()):  # read them all first: a rewritten check may move in the order
            stored = dict(hit["_source"].get("secrets") or {})
            opened = self.sealer.open_all(stored)
            if not opened.stale:
                continue
            document = hit["_source"] | {"secrets": stored | self.sealer.seal_all(opened.secrets)}
            try:
                with elasticsearch_errors(f"sealing the secrets of check {hit['_id']}"):
                    self.es.index(
                        index=self.index,
                        id=hit["_id"],
                        document=document,
                        if_seq_no=hit["_seq_no"],
                        if_primary_term=hit["_primary_term"],
                        refresh=True,
                    )
            except ElasticsearchConflict:
                continue
            except ElasticsearchError as exc:  # this one is sealed at the next start; the others go on
                log.error("check secrets not sealed", extra={"check.id": hit["_id"], "error.message": str(exc)})
                continue
            resealed += 1
        if resealed:
            log.info("check secrets sealed under the first of checks.secrets_keys", extra={"checks": resealed})
        return resealed

    def _hits(self, page: int = 500) -> Iterator[dict[str, Any]]:
        offset = 0
        while True:
            hits = self._listing([], offset, page)["hits"]["hits"]
            yield from hits
            if len(hits) < page:
                return
            offset += len(hits)


class ReportStore(DocumentStore[ReportBody, Report]):
    kind = "report"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, Report)
        _ensure(es, index)

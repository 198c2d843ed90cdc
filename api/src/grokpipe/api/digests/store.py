"""Saved digests (``grokpipe-digests``): the generic document store, one document per digest. The digests'
own, beside the error groups they summarise (it was in the rules' store)."""

from __future__ import annotations

from elasticsearch import Elasticsearch

from grokpipe.api.digests.schemas import Digest, DigestBody
from grokpipe.api.kernel.documents import DEFINITIONS_MAPPING, DocumentStore
from grokpipe.indices import create_index


class DigestStore(DocumentStore[DigestBody, Digest]):
    kind = "digest"

    def __init__(self, es: Elasticsearch, index: str) -> None:
        super().__init__(es, index, Digest)

    def ensure(self) -> None:
        create_index(self.es, self.index, DEFINITIONS_MAPPING)

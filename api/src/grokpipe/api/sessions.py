"""Console sessions ended by logout, kept in Elasticsearch so every replica refuses them at once.

A session cookie is a signed token that stays valid until it expires (12 h); logging out must end it on
the server, not only in the browser that clears the cookie (a copied cookie would go on working). Logout
writes one document per session nonce (``grokpipe-console-sessions``, id = nonce) holding the moment
the session would have expired; every console request of a still valid token reads it by id (a realtime
get: a logout on one replica is seen by the next request on any other). Documents of sessions past their
expiry are deleted at the next logout. A nonce found revoked is remembered in the process.

Keys rotated in ``auth`` end the sessions made with the old keys without this index: a token names the
fingerprint of its key, and a key no longer configured for its role makes the token invalid
(:mod:`grokpipe.api.console.session`). Its own unit, not the console's: the services build it and the console
reads it through them.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from elasticsearch import Elasticsearch

from grokpipe.api.errors import search_failed
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError
from grokpipe.indices import create_index

MAPPING = {"dynamic": False, "properties": {"expires": {"type": "date", "format": "epoch_second"}}}
_REMEMBERED = 10_000


class Revoked:
    def __init__(self, es: Elasticsearch, index: str) -> None:
        self.es = es
        self.index = index
        self._known: dict[str, int] = {}  # nonce -> expiry, of sessions seen revoked
        self._lock = threading.Lock()

    def ensure(self) -> None:
        create_index(self.es, self.index, MAPPING)

    def revoke(self, nonce: str, expires: int) -> None:
        """End the session ``nonce`` (valid until ``expires``, epoch seconds) on every replica."""
        now = int(datetime.now(UTC).timestamp())
        try:
            with elasticsearch_errors("ending a console session"):
                self.es.index(index=self.index, id=nonce, document={"expires": expires})
                self.es.delete_by_query(
                    index=self.index, query={"range": {"expires": {"lt": now}}}, conflicts="proceed", refresh=False
                )
        except ElasticsearchError as exc:
            raise search_failed("ending a console session", exc) from exc
        self._remember(nonce, expires)

    def is_revoked(self, nonce: str) -> bool:
        with self._lock:
            if nonce in self._known:
                return True
        try:
            with elasticsearch_errors("reading the ended console sessions"):
                found = bool(self.es.exists(index=self.index, id=nonce))
        except ElasticsearchError as exc:
            raise search_failed("reading the ended console sessions", exc) from exc
        if found:
            self._remember(nonce, 0)
        return found

    def _remember(self, nonce: str, expires: int) -> None:
        with self._lock:
            self._known[nonce] = expires
            while len(self._known) > _REMEMBERED:
                self._known.pop(next(iter(self._known)))

"""The Elasticsearch client, configured from the settings, and where its exceptions become ours
(:mod:`grokpipe.errors`): imported only by code that talks to Elasticsearch, so the shipper never loads it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import elastic_transport
from elasticsearch import ApiError, Elasticsearch

from grokpipe.errors import (
    ElasticsearchConflict,
    ElasticsearchError,
    ElasticsearchNotFound,
    ElasticsearchRejected,
    ElasticsearchUnavailable,
)
from grokpipe.settings import ElasticsearchSettings

#: With 5xx, the HTTP status after which the same request may succeed (Elasticsearch's back-pressure).
TOO_MANY_REQUESTS = 429


def _error_type(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        return str(error["type"])
    return error if isinstance(error, str) else None


def map_elasticsearch_error(exc: Exception, action: str = "Elasticsearch request") -> ElasticsearchError:
    """Our type for an exception of the Elasticsearch client; the message names ``action``."""
    if isinstance(exc, ApiError):
        status = int(exc.meta.status)
        kind = _error_type(exc.body) or exc.message
        message = f"{action} failed: HTTP {status} {kind}"
        cls: type[ElasticsearchError]
        if status == TOO_MANY_REQUESTS or status >= 500:
            cls = ElasticsearchUnavailable
        elif status == 404:
            cls = ElasticsearchNotFound
        elif status == 409:
            cls = ElasticsearchConflict
        else:
            cls = ElasticsearchRejected
        return cls(message, status=status, error_type=kind, body=exc.body)
    message = f"{action} failed: {type(exc).__name__}: {str(exc)[:200]}"
    if isinstance(exc, elastic_transport.SerializationError):
        return ElasticsearchRejected(message)  # a body that does not encode or decode: not fixed by waiting
    if isinstance(exc, elastic_transport.TransportError):  # connection refused or reset, timeout, TLS
        # (TLS too: a handshake cut by a restarting server looks like a bad certificate; the retry
        # logs each attempt, so a certificate that is really wrong shows at once.)
        return ElasticsearchUnavailable(message)
    return ElasticsearchRejected(message)


@contextmanager
def elasticsearch_errors(action: str = "Elasticsearch request") -> Iterator[None]:
    """Raise our :class:`ElasticsearchError` for anything the client raises inside (also a decorator)."""
    try:
        yield
    except (ApiError, elastic_transport.TransportError) as exc:
        raise map_elasticsearch_error(exc, action) from exc


def elasticsearch(settings: ElasticsearchSettings, **overrides: Any) -> Elasticsearch:
    opts: dict[str, Any] = {
        "hosts": list(settings.hosts),
        "request_timeout": settings.request_timeout,
        "verify_certs": settings.verify_certs,
    }
    if settings.api_key is not None:
        opts["api_key"] = settings.api_key.get_secret_value()
    elif settings.username and settings.password is not None:
        opts["basic_auth"] = (settings.username, settings.password.get_secret_value())
    if settings.ca_certs is not None:
        opts["ca_certs"] = str(settings.ca_certs)
    return Elasticsearch(**(opts | overrides))

"""Errors of the api service.

Tree::

    GrokpipeError (grokpipe.errors; ElasticsearchError and its subtypes come from there too)
    └── ApiError (retriable=False, status 500)
        ├── NotFound (404)
        ├── Conflict (409)                 stale update (if_seq_no/if_primary_term mismatch)
        ├── InvalidRule (422)              bad query, unknown fields, server-side code in DSL
        │   └── InvalidQuery (422)         the same for a search (code invalid_query)
        ├── SearchFailed (502, retriable)  Elasticsearch refused or was unreachable
        └── DeliveryFailed (502, retriable) a notifier could not deliver

Handlers see ``ApiError`` only: an Elasticsearch failure becomes :class:`SearchFailed` through
:func:`search_failed`, which keeps the cause's ``retriable`` (a 4xx will fail again, a 503 may not).
"""

from __future__ import annotations

from typing import Any

from grokpipe.errors import ElasticsearchError, GrokpipeError


class ApiError(GrokpipeError):
    retriable = False
    status = 500
    code = "internal_error"

    def __init__(self, message: str, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        self.details = details


class NotFound(ApiError):
    status = 404
    code = "not_found"


class Conflict(ApiError):
    status = 409
    code = "conflict"


class InvalidRule(ApiError):
    status = 422
    code = "invalid_rule"


class InvalidQuery(InvalidRule):
    code = "invalid_query"


class SearchFailed(ApiError):
    retriable = True
    status = 502
    code = "search_failed"


class DeliveryFailed(ApiError):
    retriable = True
    status = 502
    code = "delivery_failed"


def search_failed(what: str, exc: ElasticsearchError) -> SearchFailed:
    """``what`` failed in Elasticsearch: a 502 naming the cause, retriable as the cause is."""
    failed = SearchFailed(f"{what} failed: {type(exc).__name__}", status=str(exc)[:200])
    failed.retriable = exc.retriable
    return failed

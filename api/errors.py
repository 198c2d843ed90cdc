"""Errors of the api service.

Tree::

    ApiError (retriable=False, status 500)
    ├── NotFound (404)
    ├── Conflict (409)                 stale update (if_seq_no/if_primary_term mismatch)
    ├── InvalidRule (422)              bad query, unknown fields, server-side code in DSL
    ├── SearchFailed (502, retriable)  Elasticsearch refused or was unreachable
    └── DeliveryFailed (502, retriable) a notifier could not deliver
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
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


class SearchFailed(ApiError):
    retriable = True
    status = 502
    code = "search_failed"


class DeliveryFailed(ApiError):
    retriable = True
    status = 502
    code = "delivery_failed"

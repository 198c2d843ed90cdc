"""Why a request to the Sentry input is refused; each maps to one HTTP status in ``server.py``.

SentryRequestError                 (retriable=False)
├── Malformed            400  an envelope, event or check-in that does not parse; unsupported encoding
├── Forbidden            403  no key, or a key that is not one of the project's (or an unknown project)
├── TooLarge             413  over a documented size limit
├── Throttled            429  the spool is full or the project's rate limit is exceeded (retriable)
└── Unavailable          503  the spool's disk refused the write (retriable)
"""

from __future__ import annotations

from grokpipe.errors import GrokpipeError


class SentryRequestError(GrokpipeError):
    status = 400
    reason = "malformed"
    retriable = False


class Malformed(SentryRequestError):
    pass


class Forbidden(SentryRequestError):
    status = 403
    reason = "forbidden"


class TooLarge(SentryRequestError):
    status = 413
    reason = "too_large"


class Throttled(SentryRequestError):
    status = 429
    retriable = True

    def __init__(self, message: str, *, retry_after: int, reason: str) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.reason = reason


class Unavailable(SentryRequestError):
    status = 503
    reason = "spool_failed"
    retriable = True

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after

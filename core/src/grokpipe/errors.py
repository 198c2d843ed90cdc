"""The error contract of every grokpipe service, and where vendor exceptions become ours.

Tree::

    GrokpipeError (retriable=False)
    ├── KafkaUnavailable (retriable)         broker away, timed out, transport error: try again later
    ├── KafkaRejected                        fatal or permanent (auth, unknown topic, record too large)
    └── ElasticsearchError                   any failed Elasticsearch request; ``status`` 0 without a response
        ├── ElasticsearchUnavailable (retriable)  connection refused or reset, timeout, TLS, 429, 5xx
        └── ElasticsearchRejected            4xx or serialization: the same request fails again
            ├── ElasticsearchNotFound        404 (index or document missing)
            └── ElasticsearchConflict        409 (``op_type=create`` or ``if_seq_no`` lost)

Each service's ``errors.py`` derives its own tree from :class:`GrokpipeError`. Third-party exceptions
are mapped once, where they enter (:func:`grokpipe.elasticsearch_client.elasticsearch_errors`,
:func:`grokpipe.librdkafka.kafka_errors`, :func:`grokpipe.kafka_admin.admin_errors`), the way httpx's
``map_httpcore_exceptions`` does, so the rest of the code handles these types only and decides
whether to try again from ``retriable`` alone (:mod:`grokpipe.retry`).
"""

from __future__ import annotations

from typing import Any


class GrokpipeError(Exception):
    """Base of every error grokpipe raises on purpose; ``retriable`` says whether trying again may help."""

    retriable = False


class KafkaUnavailable(GrokpipeError):
    retriable = True


class KafkaRejected(GrokpipeError):
    pass


class ElasticsearchError(GrokpipeError):
    """``status`` is the HTTP status (0 when no response came); ``error_type`` Elasticsearch's error type."""

    def __init__(self, message: str, *, status: int = 0, error_type: str | None = None, body: Any = None) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.body = body


class ElasticsearchUnavailable(ElasticsearchError):
    retriable = True


class ElasticsearchRejected(ElasticsearchError):
    pass


class ElasticsearchNotFound(ElasticsearchRejected):
    pass


class ElasticsearchConflict(ElasticsearchRejected):
    pass


def retriable(exc: BaseException) -> bool:
    """Whether ``exc`` says trying again may help (our types, and any exception with ``retriable``)."""
    flag = getattr(exc, "retriable", False)
    if callable(flag):  # confluent-kafka's KafkaError.retriable()
        flag = flag()
    return flag is True

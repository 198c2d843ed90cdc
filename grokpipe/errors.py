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
are mapped once, where they enter (:func:`elasticsearch_errors`, :func:`kafka_errors`), the way httpx's
``map_httpcore_exceptions`` does, so the rest of the code handles these types only and decides
whether to try again from ``retriable`` alone (:mod:`grokpipe.retry`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import confluent_kafka
import elastic_transport
import elasticsearch
import kafka.errors

#: With 5xx, the HTTP status after which the same request may succeed (Elasticsearch's back-pressure).
TOO_MANY_REQUESTS = 429


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


def _error_type(body: Any) -> str | None:
    error = body.get("error") if isinstance(body, dict) else None
    if isinstance(error, dict) and isinstance(error.get("type"), str):
        return str(error["type"])
    return error if isinstance(error, str) else None


def map_elasticsearch_error(exc: Exception, action: str = "Elasticsearch request") -> ElasticsearchError:
    """Our type for an exception of the Elasticsearch client; the message names ``action``."""
    if isinstance(exc, elasticsearch.ApiError):
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
    except (elasticsearch.ApiError, elastic_transport.TransportError) as exc:
        raise map_elasticsearch_error(exc, action) from exc


#: librdkafka's local codes for "the cluster is not reachable right now" (it reconnects by itself).
_KAFKA_AWAY = frozenset(
    {
        confluent_kafka.KafkaError._ALL_BROKERS_DOWN,
        confluent_kafka.KafkaError._TRANSPORT,
        confluent_kafka.KafkaError._RESOLVE,
        confluent_kafka.KafkaError._TIMED_OUT,
        confluent_kafka.KafkaError._MSG_TIMED_OUT,
        confluent_kafka.KafkaError.REQUEST_TIMED_OUT,
        confluent_kafka.KafkaError.NETWORK_EXCEPTION,
        confluent_kafka.KafkaError.NOT_ENOUGH_REPLICAS,
        confluent_kafka.KafkaError.NOT_LEADER_FOR_PARTITION,
        confluent_kafka.KafkaError.LEADER_NOT_AVAILABLE,
    }
)


def kafka_error(
    error: confluent_kafka.KafkaError | confluent_kafka.KafkaException | kafka.errors.KafkaError,
    action: str = "Kafka request",
) -> KafkaUnavailable | KafkaRejected:
    """Our type for a librdkafka error (fatal ones never retriable; outages and retriable codes are) or
    a kafka-python one (its own ``retriable`` flag: the admin client's)."""
    if isinstance(error, kafka.errors.KafkaError):
        cls = KafkaUnavailable if error.retriable else KafkaRejected
        return cls(f"{action} failed: {type(error).__name__}: {error}")
    if isinstance(error, confluent_kafka.KafkaException):
        inner = error.args[0] if error.args else None
        if not isinstance(inner, confluent_kafka.KafkaError):
            return KafkaRejected(f"{action} failed: {error}")
        error = inner
    message = f"{action} failed: {error.name()}: {error.str()}"
    if not error.fatal() and (error.retriable() or error.code() in _KAFKA_AWAY):
        return KafkaUnavailable(message)
    return KafkaRejected(message)


@contextmanager
def kafka_errors(action: str = "Kafka request") -> Iterator[None]:
    """Raise our Kafka types for a ``KafkaException`` or kafka-python error raised inside (also a decorator)."""
    try:
        yield
    except (confluent_kafka.KafkaException, kafka.errors.KafkaError) as exc:
        raise kafka_error(exc, action) from exc

"""librdkafka (confluent-kafka, the services' Kafka client): its configuration from the settings, and where its
errors become ours (:mod:`grokpipe.errors`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import confluent_kafka

from grokpipe.errors import KafkaRejected, KafkaUnavailable
from grokpipe.settings import KafkaSettings

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
    error: confluent_kafka.KafkaError | confluent_kafka.KafkaException,
    action: str = "Kafka request",
) -> KafkaUnavailable | KafkaRejected:
    """Our type for a librdkafka error: fatal ones never retriable; outages and retriable codes are."""
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
    """Raise our Kafka types for a ``KafkaException`` raised inside (also a decorator)."""
    try:
        yield
    except confluent_kafka.KafkaException as exc:
        raise kafka_error(exc, action) from exc


def librdkafka_config(settings: KafkaSettings) -> dict[str, Any]:
    """The same connection settings in librdkafka's names (the shipper's producer)."""
    conf: dict[str, Any] = {
        "bootstrap.servers": ",".join(settings.bootstrap_servers),
        "client.id": settings.client_id,
        "security.protocol": settings.security_protocol.lower(),
        "reconnect.backoff.max.ms": 5000,
    }
    if settings.sasl_mechanism:
        conf["sasl.mechanism"] = settings.sasl_mechanism
        conf["sasl.username"] = settings.sasl_username
        if settings.sasl_password is not None:
            conf["sasl.password"] = settings.sasl_password.get_secret_value()
    if settings.ssl_cafile is not None:
        conf["ssl.ca.location"] = str(settings.ssl_cafile)
    return conf

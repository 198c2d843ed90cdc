"""kafka-python's clients (the admin client, and the producer and consumer the tests and benches use), configured
from the settings, and where kafka-python's errors become ours. The services' hot paths use librdkafka
(:mod:`grokpipe.librdkafka`); this is for set-up (``grokpipe up``, ``indexer --setup-only``), tests and tools."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from grokpipe.errors import KafkaRejected, KafkaUnavailable
from grokpipe.settings import KafkaSettings

log = logging.getLogger(__name__)


def kafka_common(settings: KafkaSettings) -> dict[str, Any]:
    """Connection options shared by producers, consumers and the admin client."""
    opts: dict[str, Any] = {
        "bootstrap_servers": list(settings.bootstrap_servers),
        "client_id": settings.client_id,
        "security_protocol": settings.security_protocol,
        "reconnect_backoff_max_ms": 5000,
    }
    if settings.sasl_mechanism:
        opts["sasl_mechanism"] = settings.sasl_mechanism
        opts["sasl_plain_username"] = settings.sasl_username
        if settings.sasl_password is not None:
            opts["sasl_plain_password"] = settings.sasl_password.get_secret_value()
    if settings.ssl_cafile is not None:
        opts["ssl_cafile"] = str(settings.ssl_cafile)
    return opts


def kafka_producer(settings: KafkaSettings, **overrides: Any) -> Any:
    from kafka import KafkaProducer

    opts = kafka_common(settings) | {
        "acks": "all",
        "linger_ms": 20,
        "batch_size": 512 * 1024,
        "max_request_size": 4 * 1024 * 1024,
        "retry_backoff_ms": 200,
        # The client's own sensors cost ~5% of the shipper's CPU; our metrics cover what matters.
        "metrics_enabled": False,
    }
    return KafkaProducer(**(opts | overrides))


def kafka_consumer(settings: KafkaSettings, *topics: str, **overrides: Any) -> Any:
    from kafka import KafkaConsumer

    opts = kafka_common(settings) | {
        "group_id": settings.group_id,
        "enable_auto_commit": False,
        "auto_offset_reset": "earliest",
        # Kafka caps a fetch response at fetch_max_bytes; noida-db ignores the cap and answers with
        # everything after the offset, which kafka-python refuses past this ceiling (100 MB default).
        "receive_message_max_bytes": 1 << 30,
    }
    return KafkaConsumer(*topics, **(opts | overrides))


def ensure_topic(settings: KafkaSettings, topic: str, partitions: int = 4, replication_factor: int = 1) -> bool:
    """Create ``topic`` if it does not exist; True when this call created it. Raises KafkaUnavailable when
    no broker answers, KafkaRejected when one refuses (grokpipe.errors)."""
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic
    from kafka.errors import TopicAlreadyExistsError

    with admin_errors(f"creating Kafka topic {topic}"):
        admin = KafkaAdminClient(**kafka_common(settings))
        try:
            if topic in admin.list_topics():
                return False
            admin.create_topics([NewTopic(topic, num_partitions=partitions, replication_factor=replication_factor)])
            log.info("created Kafka topic", extra={"topic": topic, "partitions": partitions})
            return True
        except TopicAlreadyExistsError:
            return False
        finally:
            admin.close()


@contextmanager
def admin_errors(action: str = "Kafka request") -> Iterator[None]:
    """Raise our Kafka types for a kafka-python error raised inside (its own ``retriable`` flag decides); the
    librdkafka clients' errors are mapped by :func:`grokpipe.librdkafka.kafka_errors`."""
    from kafka.errors import KafkaError

    try:
        yield
    except KafkaError as exc:
        cls = KafkaUnavailable if exc.retriable else KafkaRejected
        raise cls(f"{action} failed: {type(exc).__name__}: {exc}") from exc

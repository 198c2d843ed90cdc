"""Client factories: every Kafka and Elasticsearch client is configured here, from the settings."""

from __future__ import annotations

import logging
from typing import Any

from elasticsearch import Elasticsearch

from grokpipe.errors import kafka_errors
from grokpipe.settings import ElasticsearchSettings, KafkaSettings

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

    with kafka_errors(f"creating Kafka topic {topic}"):
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

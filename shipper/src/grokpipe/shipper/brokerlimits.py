"""The largest record the cluster takes: the topic's ``max.message.bytes`` and the brokers'
``message.max.bytes``, asked once at start (DescribeConfigs, librdkafka's admin client: the
shipper's one Kafka library).

:func:`record_limit` is the decision (pure); :func:`ask` the question. A cluster that does not
answer in time leaves the configured ``max_record_bytes`` alone: a record it then refuses for its
size is cut further or dead-lettered by the publisher, never produced again as it was.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable

from confluent_kafka import KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.admin._config import ConfigResource  # not re-exported for mypy

from grokpipe.librdkafka import librdkafka_config
from grokpipe.settings import KafkaSettings

log = logging.getLogger(__name__)

TOPIC_KEY = "max.message.bytes"
BROKER_KEY = "message.max.bytes"


def record_limit(configured: int, found: Iterable[str | None]) -> int:
    """The configured limit lowered to the smallest limit the cluster states (values that are not
    positive integers are ignored)."""
    limit = configured
    for value in found:
        with contextlib.suppress(TypeError, ValueError):
            number = int(value) if value is not None else 0
            if number > 0:
                limit = min(limit, number)
    return limit


def ask(kafka: KafkaSettings, topic: str, timeout: float) -> list[str | None] | None:
    """The topic's and every broker's stated limit, or None when the cluster did not answer."""
    admin = AdminClient(librdkafka_config(kafka) | {"logger": logging.getLogger("librdkafka")})
    try:
        metadata = admin.list_topics(timeout=timeout)
        resources = [ConfigResource(ConfigResource.Type.BROKER, str(broker)) for broker in metadata.brokers]
        if topic in metadata.topics:
            resources.append(ConfigResource(ConfigResource.Type.TOPIC, topic))
        found: list[str | None] = []
        for resource, future in admin.describe_configs(resources, request_timeout=timeout).items():
            key = TOPIC_KEY if resource.restype == ConfigResource.Type.TOPIC else BROKER_KEY
            try:
                entries = future.result(timeout=timeout)
            except (KafkaException, TimeoutError) as exc:
                log.debug("no record limit from Kafka", extra={"resource": str(resource), "error": str(exc)})
                continue
            entry = entries.get(key)
            found.append(entry.value if entry is not None else None)
        return found
    except KafkaException as exc:
        log.warning("could not ask Kafka for its record size limit", extra={"error": str(exc)})
        return None

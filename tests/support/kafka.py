"""Reading back what reached Kafka."""

from __future__ import annotations

import time
import uuid
from typing import Any

from grokpipe.envelope import decode
from grokpipe.kafka_admin import ensure_topic, kafka_consumer
from grokpipe.settings import KafkaSettings


def new_topic(bootstrap: str, partitions: int = 4) -> str:
    topic = f"t-{uuid.uuid4().hex[:10]}"
    ensure_topic(KafkaSettings(bootstrap_servers=[bootstrap]), topic, partitions=partitions)
    return topic


def consume(
    bootstrap: str, topic: str, *, expect: int, timeout: float = 60.0, idle: float = 3.0
) -> list[dict[str, Any]]:
    """Every event in ``topic`` from the beginning; stops once ``expect`` arrived and ``idle`` s passed quietly."""
    consumer = kafka_consumer(
        KafkaSettings(bootstrap_servers=[bootstrap], group_id=f"test-{uuid.uuid4().hex[:8]}"),
        topic,
        max_poll_records=10_000,
    )
    events: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    quiet_since = time.monotonic()
    try:
        while time.monotonic() < deadline:
            batch = consumer.poll(timeout_ms=500)
            got = sum(len(records) for records in batch.values())
            for records in batch.values():
                events.extend(decode(r.value) for r in records)
            if got:
                quiet_since = time.monotonic()
            elif len(events) >= expect and time.monotonic() - quiet_since >= idle:
                break
    finally:
        consumer.close()
    return events

"""Kafka output: one event per record, ``acks=all``, with an acknowledgement callback per event.

The publisher owns the only Kafka producer of the shipper. Callers hand it an event and a callback;
the callback runs once Kafka acknowledged the record, and only then may the caller record progress
(the file registry, the syslog spool). A failed send is re-sent until it succeeds or the shipper
stops, so an outage delays events but never drops them. At most ``max_in_flight`` events are
unacknowledged at once: beyond that ``publish`` blocks, which pauses the readers (backpressure) and
bounds memory.

The hot path is kept lean because kafka-python's ``send`` dominates the shipper's cost: partitions
are computed once per key (murmur2, as Java's default partitioner does) instead of per record,
and counters are plain integers copied into the Prometheus metrics a few times a second.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

from kafka.errors import KafkaError
from kafka.partitioner.default import murmur2
from pydantic import Field

from grokpipe.clients import kafka_producer
from grokpipe.settings import KafkaSettings, Section
from shipper.errors import PublisherClosed
from shipper.metrics import ShipperMetrics

log = logging.getLogger(__name__)

OnAck = Callable[[], None]


class PublisherSettings(Section):
    max_in_flight: int = Field(default=50_000, ge=1, description="unacknowledged events before readers pause")
    linger_ms: int = Field(default=20, ge=0)
    batch_size: int = Field(default=512 * 1024, ge=1024)
    compression_type: str | None = None
    delivery_timeout_ms: int = Field(default=120_000, ge=1000)
    max_block_ms: int = Field(default=5_000, ge=100)
    retry_backoff_max: float = Field(default=5.0, gt=0)


class Publisher:
    def __init__(
        self, kafka: KafkaSettings, settings: PublisherSettings, metrics: ShipperMetrics, topic: str | None = None
    ) -> None:
        self._kafka = kafka
        self._settings = settings
        self._metrics = metrics
        self.topic = topic or kafka.topic
        self._producer: Any = None
        self._ready = threading.Event()
        self._closing = threading.Event()
        self._retry: queue.SimpleQueue[tuple[bytes, bytes, OnAck | None] | None] = queue.SimpleQueue()
        self._partitions: dict[bytes, int] = {}
        self._partitions_checked = 0.0
        self._lock = threading.Lock()
        # Counters: ``_sent`` is written under the lock by publishing threads, the others only by
        # Kafka's I/O thread (which runs every callback), so none of them needs a lock to read.
        self._sent = 0
        self._acked = 0
        self._acked_bytes = 0
        self._synced = (0, 0)
        self._connected = False
        self._acked_since_retry = False
        self._last_error_log = 0.0
        self._threads = [
            threading.Thread(target=self._connect_loop, name="kafka-connect", daemon=True),
            threading.Thread(target=self._retry_loop, name="kafka-retry", daemon=True),
            threading.Thread(target=self._metrics_loop, name="kafka-metrics", daemon=True),
        ]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _connect_loop(self) -> None:
        backoff = 0.2
        while not self._closing.is_set():
            try:
                self._producer = kafka_producer(
                    self._kafka,
                    linger_ms=self._settings.linger_ms,
                    batch_size=self._settings.batch_size,
                    compression_type=self._settings.compression_type,
                    delivery_timeout_ms=self._settings.delivery_timeout_ms,
                    request_timeout_ms=min(30_000, self._settings.delivery_timeout_ms - self._settings.linger_ms),
                    max_block_ms=self._settings.max_block_ms,
                    bootstrap_timeout_ms=self._settings.max_block_ms,
                )
            except (KafkaError, OSError) as exc:
                self._error("cannot connect to Kafka, retrying", exc)
                self._closing.wait(backoff)
                backoff = min(backoff * 2, self._settings.retry_backoff_max)
                continue
            log.info("connected to Kafka", extra={"bootstrap_servers": self._kafka.bootstrap_servers})
            self._set_connected(True)
            self._ready.set()
            return

    @property
    def connected(self) -> bool:
        return self._ready.is_set() and self._connected

    @property
    def in_flight(self) -> int:
        return self._sent - self._acked

    @property
    def acked(self) -> int:
        """Records Kafka acknowledged since start."""
        return self._acked

    def drain(self, timeout: float) -> bool:
        """Wait until every handed-over event is acknowledged; False on timeout."""
        deadline = time.monotonic() + timeout
        if self._producer is not None:
            self._producer.flush(timeout=max(0.0, timeout))
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.05)
        self._sync_metrics()
        return self.in_flight == 0

    def close(self, timeout: float = 10.0) -> None:
        self._closing.set()
        self._retry.put(None)
        if self._producer is not None:
            self._producer.close(timeout=timeout)
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._sync_metrics()

    # -- sending ---------------------------------------------------------------------------------

    def publish(self, key: bytes, value: bytes, on_ack: OnAck | None = None) -> None:
        """Hand one record over; blocks while ``max_in_flight`` records await acknowledgement."""
        limit = self._settings.max_in_flight
        while self._sent - self._acked >= limit or not self._ready.is_set():
            if self._closing.is_set():
                raise PublisherClosed("publisher is closing")
            self._closing.wait(0.005)
        with self._lock:
            self._sent += 1
        self._send(key, value, on_ack)

    def _send(self, key: bytes, value: bytes, on_ack: OnAck | None) -> None:
        try:
            partition = self._partitions.get(key)
            if partition is None:
                partition = self._partition_for(key)
            future = self._producer.send(self.topic, key=key, value=value, partition=partition)
        except Exception as exc:  # noqa: BLE001 (metadata timeout, buffer full: re-sent later)
            self._error("Kafka send failed, will retry", exc)
            self._retry.put((key, value, on_ack))
            return
        future.add_callback(self._on_acked, len(value), on_ack)
        future.add_errback(self._on_failed, key, value, on_ack)

    def _partition_for(self, key: bytes) -> int:
        """Java's default partitioner (murmur2 of the key), computed once per key."""
        now = time.monotonic()
        if now - self._partitions_checked > 60 or len(self._partitions) > 10_000:
            self._partitions = {}  # partitions may have been added; keys may be many (syslog apps)
            self._partitions_checked = now
        partitions = sorted(self._producer.partitions_for(self.topic))
        partition: int = partitions[(murmur2(key) & 0x7FFFFFFF) % len(partitions)]
        self._partitions[key] = partition
        return partition

    def _on_acked(self, size: int, on_ack: OnAck | None, _metadata: Any) -> None:
        if on_ack is not None:
            on_ack()
        self._acked += 1
        self._acked_bytes += size
        if not self._connected:
            self._set_connected(True)
        self._acked_since_retry = True

    def _on_failed(self, key: bytes, value: bytes, on_ack: OnAck | None, exc: BaseException) -> None:
        if self._connected:
            self._set_connected(False)
        self._error("Kafka did not acknowledge a record, will retry", exc)
        self._retry.put((key, value, on_ack))

    def _retry_loop(self) -> None:
        """Re-send failed records in rounds; back off while rounds keep failing, reset on any ack."""
        backoff = 0.2
        while True:
            batch = [self._retry.get()]
            while not self._retry.empty():
                batch.append(self._retry.get())
            if None in batch or self._closing.is_set():
                return
            if self._acked_since_retry:
                backoff = 0.2
            self._acked_since_retry = False
            self._closing.wait(backoff)
            backoff = min(backoff * 2, self._settings.retry_backoff_max)
            for item in batch:
                if item is not None:
                    self._send(*item)

    # -- telemetry -------------------------------------------------------------------------------

    def _metrics_loop(self) -> None:
        while not self._closing.wait(0.25):
            self._sync_metrics()

    def _sync_metrics(self) -> None:
        acked, acked_bytes = self._acked, self._acked_bytes
        last_acked, last_bytes = self._synced
        self._synced = (acked, acked_bytes)
        if acked > last_acked:
            self._metrics.published.inc(acked - last_acked)
            self._metrics.published_bytes.inc(acked_bytes - last_bytes)
        self._metrics.in_flight.set(self._sent - acked)

    def _set_connected(self, up: bool) -> None:
        self._connected = up
        self._metrics.kafka_connected.set(1 if up else 0)

    def _error(self, message: str, exc: BaseException) -> None:
        """Count every error; log at most once a second so an outage does not flood the log."""
        self._metrics.kafka_errors.inc()
        now = time.monotonic()
        if now - self._last_error_log >= 1.0:
            self._last_error_log = now
            log.warning(message, extra={"error.type": type(exc).__name__, "error.message": str(exc)})

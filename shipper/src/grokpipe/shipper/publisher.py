"""Kafka output: one event per record, ``acks=all``, with an acknowledgement callback per event.

The publisher owns the only Kafka producer of the shipper. Callers hand it an event and a callback;
the callback runs once Kafka acknowledged the record, and only then may the caller record progress
(the file registry, the syslog spool). A failed delivery is produced again until it succeeds or the
shipper stops, so an outage delays events but never drops them. At most ``max_in_flight`` events
are unacknowledged at once: beyond that ``publish`` blocks, which pauses the readers
(backpressure) and bounds memory.

A record is never larger than the cluster takes: at start the publisher asks the topic's and the
brokers' limits (:mod:`.brokerlimits`) and every input encodes its events through :meth:`Publisher.encode`,
which cuts an event to that limit and tags it ``truncated`` (:mod:`.recordfit`). A refusal that
producing the same record again cannot fix is not retried: a record refused for its size is cut to
half and produced once more (a limit the start-up question did not learn), and a record refused
again, or for being invalid, goes to the dead letter (:mod:`.deadletter`), which acknowledges it to
its source. Outages, leaders moving and the like are retried until they pass, as before.

The producer is librdkafka's (``confluent-kafka``), not kafka-python's: the shipper's cost is
dominated by the per-record send path, and librdkafka's is ~8x cheaper (measured in the issue
note: 570k vs 70k records/s on this machine). Partitioning uses ``murmur2_random``, the Java
client's default, so keys land where every other client puts them.
"""

from __future__ import annotations

import functools
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence

import orjson
from confluent_kafka import KafkaError, KafkaException, Message, Producer
from pydantic import Field

from grokpipe.envelope import Event
from grokpipe.errors import GrokpipeError
from grokpipe.librdkafka import kafka_error, librdkafka_config
from grokpipe.retry import Backoff
from grokpipe.settings import KafkaSettings, Section
from grokpipe.shipper import brokerlimits
from grokpipe.shipper.deadletter import DeadLetter
from grokpipe.shipper.errors import PublisherClosed
from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.recordfit import OVERHEAD, fit

log = logging.getLogger(__name__)

OnAck = Callable[[], None]
Settled = Callable[[int], None]  #: told the sequence number of each acknowledged record of a batch
Records = Sequence[tuple[bytes, bytes, *tuple[int, ...]]]  #: key and value first (spooled records)

#: The broker or librdkafka refused the record for its size: cut it and produce it again.
TOO_LARGE = frozenset({KafkaError.MSG_SIZE_TOO_LARGE, KafkaError.RECORD_LIST_TOO_LARGE, KafkaError.INVALID_MSG_SIZE})
#: The record itself is refused: producing it again cannot succeed.
INVALID = frozenset({KafkaError.INVALID_RECORD, KafkaError.INVALID_MSG, KafkaError.INVALID_TIMESTAMP})
#: A record refused for its size is cut to half, down to this; refused smaller, it is dead-lettered.
SMALLEST_CUT = 1024


class PublisherSettings(Section):
    max_in_flight: int = Field(default=20_000, ge=1, description="unacknowledged events before readers pause")
    linger_ms: int = Field(default=20, ge=0)
    batch_size: int = Field(default=1024 * 1024, ge=1024, description="bytes per partition batch")
    compression_type: str | None = Field(
        default="lz4",
        description="none, gzip, snappy, lz4 or zstd; lz4 halves the broker's work per JSON event, costs ~nothing",
    )
    delivery_timeout_ms: int = Field(default=120_000, ge=1000, description="then a record is produced again")
    retry_backoff_max: float = Field(default=5.0, gt=0)
    max_record_bytes: int = Field(
        default=1_000_000,
        ge=4096,
        description="largest record sent (key + encoded event); lowered at start to the topic's and brokers' limits",
    )
    limits_timeout: float = Field(default=5.0, gt=0, description="seconds to wait at start for Kafka's limits")


class Publisher:
    def __init__(
        self,
        kafka: KafkaSettings,
        settings: PublisherSettings,
        metrics: ShipperMetrics,
        topic: str | None = None,
        dead_letter: DeadLetter | None = None,
    ) -> None:
        self._kafka = kafka
        self._settings = settings
        self._metrics = metrics
        self.topic = topic or kafka.topic
        self.dead_letter = dead_letter or DeadLetter(metrics)
        self.record_limit = settings.max_record_bytes  #: lowered by start() to what the cluster takes
        self._producer: Producer | None = None
        self._closing = threading.Event()
        self._retry: queue.SimpleQueue[tuple[bytes, bytes, OnAck | None] | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # ``_sent`` is written under the lock by publishing threads; ``_acked`` and ``_acked_bytes``
        # only by the poll thread, which runs every delivery callback.
        self._sent = 0
        self._acked = 0
        self._acked_bytes = 0
        self._synced = (0, 0)
        self._connected = False
        self._acked_since_retry = False
        self._last_error_log = 0.0
        self._after_poll: tuple[Callable[[], None], ...] = ()
        self._threads = [
            threading.Thread(target=self._poll_loop, name="kafka-poll", daemon=True),
            threading.Thread(target=self._retry_loop, name="kafka-retry", daemon=True),
            threading.Thread(target=self._metrics_loop, name="kafka-metrics", daemon=True),
        ]

    # -- lifecycle -------------------------------------------------------------------------------

    def start(self) -> None:
        self.learn_limit()
        config = librdkafka_config(self._kafka) | {
            "acks": "all",
            "linger.ms": self._settings.linger_ms,
            "batch.size": min(self._settings.batch_size, self.record_limit),
            "message.max.bytes": self.record_limit,
            "batch.num.messages": 100_000,
            "compression.type": self._settings.compression_type or "none",
            "message.timeout.ms": self._settings.delivery_timeout_ms,
            "queue.buffering.max.messages": max(self._settings.max_in_flight * 2, 100_000),
            "queue.buffering.max.kbytes": 128 * 1024,
            "partitioner": "murmur2_random",
            "error_cb": self._on_client_error,
            "logger": logging.getLogger("librdkafka"),  # its log lines as ours, not raw stderr
        }
        self._producer = Producer(config)
        for thread in self._threads:
            thread.start()

    def learn_limit(self) -> int:
        """Lower ``record_limit`` to the topic's and brokers' limits, if Kafka answers in time."""
        found = brokerlimits.ask(self._kafka, self.topic, self._settings.limits_timeout)
        if found is None:
            log.warning(
                "Kafka's record size limit is not known: using max_record_bytes",
                extra={"max_record_bytes": self.record_limit},
            )
        else:
            self.record_limit = brokerlimits.record_limit(self._settings.max_record_bytes, found)
        self._metrics.record_limit.set(self.record_limit)
        return self.record_limit

    def encode(self, key: bytes, event: Event) -> bytes:
        """The record value of ``event``, cut to the record limit and tagged ``truncated`` if needed: the
        one encoding every input uses (``event`` is changed in place when cut)."""
        return fit(event, key, self.record_limit)[0]

    @property
    def connected(self) -> bool:
        return self._connected

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
        while self.in_flight and time.monotonic() < deadline:
            time.sleep(0.02)
        self._sync_metrics()
        return self.in_flight == 0

    def close(self, timeout: float = 10.0) -> None:
        self._closing.set()
        self._retry.put(None)
        for thread in self._threads:
            thread.join(timeout=timeout)
        if self._producer is not None:
            self._producer.flush(0)
            self._producer = None  # librdkafka's threads end with the object
        self._sync_metrics()

    # -- sending ---------------------------------------------------------------------------------

    def publish(self, key: bytes, value: bytes, on_ack: OnAck | None = None) -> None:
        """Hand one record over; blocks while ``max_in_flight`` records await acknowledgement."""
        self._reserve(1)
        producer = self._producer
        if producer is not None:
            try:  # the common case in one frame: the syslog drain calls this for every record
                producer.produce(
                    self.topic, value=value, key=key, on_delivery=functools.partial(self._delivered, key, value, on_ack)
                )
                return
            except (BufferError, KafkaException):
                pass  # the loop below waits or retries
        self._produce(key, value, on_ack)

    def publish_many(self, records: Records, first: int, settled: Settled) -> None:
        """``publish`` for a batch (the syslog spool's drain): each record's first two items are its key
        and value, and its acknowledgement calls ``settled(first + i)``. One call and one in-flight
        check per batch (which may pass ``max_in_flight`` by its size), and one Python frame per
        delivery report instead of three: together a tenth of the syslog path's CPU."""
        self._reserve(len(records))
        producer = self._producer
        if producer is None:
            raise PublisherClosed("publisher is closed")
        produce, topic, partial, report = producer.produce, self.topic, functools.partial, self._settled
        seq = first
        for record in records:
            key, value = record[0], record[1]
            try:
                produce(topic, value, key, on_delivery=partial(report, settled, seq))
            except (BufferError, KafkaException):
                self._produce(key, value, partial(settled, seq))  # waits or retries
            seq += 1

    def _reserve(self, count: int) -> None:
        """Wait while ``max_in_flight`` records await acknowledgement, then count ``count`` more as sent."""
        limit = self._settings.max_in_flight
        while self._sent - self._acked >= limit:
            if self._closing.is_set():
                raise PublisherClosed("publisher is closing")
            self._closing.wait(0.005)
        with self._lock:
            self._sent += count

    def after_poll(self, hook: Callable[[], None]) -> None:
        """Run ``hook`` on the poll thread after each round of delivery reports (the spool settles the
        acknowledgements ``publish_many`` reported, at once)."""
        self._after_poll = (*self._after_poll, hook)

    def _produce(self, key: bytes, value: bytes, on_ack: OnAck | None) -> None:
        producer = self._producer
        if producer is None:
            raise PublisherClosed("publisher is closed")
        callback = self._callback(key, value, on_ack)
        while True:
            try:
                producer.produce(self.topic, value=value, key=key, on_delivery=callback)
                return
            except BufferError:
                # librdkafka's local queue is full (Kafka slow or away): wait for deliveries.
                if self._closing.is_set():
                    raise PublisherClosed("publisher is closing") from None
                self._closing.wait(0.01)
            except KafkaException as exc:
                error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
                if error is not None and self._refused(key, value, on_ack, error):
                    return
                self._error("Kafka refused a record, will retry", kafka_error(exc, "producing"))
                self._retry.put((key, value, on_ack))
                return

    def _callback(self, key: bytes, value: bytes, on_ack: OnAck | None) -> Callable[[KafkaError | None, Message], None]:
        return functools.partial(self._delivered, key, value, on_ack)

    def _delivered(self, key: bytes, value: bytes, on_ack: OnAck | None, err: KafkaError | None, _msg: Message) -> None:
        """The delivery report of one record (a partial, not a closure made per record: cheaper)."""
        if err is None:
            if on_ack is not None:
                on_ack()
            self._acked += 1
            self._acked_bytes += len(value)
        elif not self._refused(key, value, on_ack, err, sent=True):
            self._error("Kafka did not acknowledge a record, will retry", kafka_error(err, "delivery"))
            self._retry.put((key, value, on_ack))

    def _settled(self, settled: Settled, seq: int, err: KafkaError | None, msg: Message) -> None:
        """The delivery report of a ``publish_many`` record."""
        if err is None:
            settled(seq)
            self._acked += 1
            self._acked_bytes += len(msg)
        else:
            key, value, on_ack = msg.key() or b"", msg.value() or b"", functools.partial(settled, seq)
            if not self._refused(key, value, on_ack, err, sent=True):
                self._error("Kafka did not acknowledge a record, will retry", kafka_error(err, "delivery"))
                self._retry.put((key, value, on_ack))

    def _refused(self, key: bytes, value: bytes, on_ack: OnAck | None, err: KafkaError, *, sent: bool = False) -> bool:
        """Handle a refusal that producing the same record again cannot fix; False for any other error.

        Too large: the event is cut to half its size (or to the record limit, if smaller) and produced
        again, through the retry queue when this runs on the poll thread (``sent``: a delivery report);
        an event already this small, or a value that is not an event, goes to the dead letter, and so
        does an invalid record. The dead letter acknowledges it: its source moves on."""
        code = err.code()
        if code not in TOO_LARGE and code not in INVALID:
            return False
        self._metrics.kafka_errors.inc()
        reason = f"{err.name()}: {err.str()}"
        smaller = self._smaller(key, value) if code in TOO_LARGE else None
        if smaller is not None:
            log.warning(
                "Kafka refused a record for its size: cut to half and produced again",
                extra={"size": len(value), "cut_to": len(smaller), "record_limit": self.record_limit},
            )
            if sent:  # on the poll thread, which must not block in produce()
                self._retry.put((key, smaller, on_ack))
            else:
                self._produce(key, smaller, on_ack)
            return True
        self.dead_letter.put(key, value, reason)
        if on_ack is not None:
            on_ack()
        if sent:
            self._acked += 1  # written by the poll thread only
        else:
            with self._lock:
                self._sent -= 1  # never reached librdkafka: no longer in flight
        return True

    def _smaller(self, key: bytes, value: bytes) -> bytes | None:
        """``value``'s event cut to half its size (at most the record limit), or None if it is no event
        or already too small to cut."""
        target = min(len(value) // 2, self.record_limit) + len(key) + OVERHEAD
        if len(value) // 2 < SMALLEST_CUT:
            return None
        try:
            event = orjson.loads(value)
        except orjson.JSONDecodeError:
            return None
        if not isinstance(event, dict):
            return None
        smaller, cut = fit(event, key, target)
        return smaller if cut and len(smaller) < len(value) else None

    def _poll_loop(self) -> None:
        """Runs the delivery callbacks (librdkafka calls them from ``poll``), then the after-poll hooks."""
        producer = self._producer
        assert producer is not None
        while not self._closing.is_set():
            acked = self._acked
            producer.poll(0.05)
            self._after_round(acked)
        acked = self._acked
        producer.poll(0)
        self._after_round(acked)

    def _after_round(self, acked_before: int) -> None:
        """Once per round of delivery reports rather than per report: the connection state, the retry
        loop's backoff reset, then the after-poll hooks."""
        if self._acked != acked_before:
            self._acked_since_retry = True
            if not self._connected:
                self._set_connected(True)
        for hook in self._after_poll:
            try:
                hook()
            except Exception:  # the poll thread must outlive a failing hook
                log.exception("an after-poll hook failed")

    def _retry_loop(self) -> None:
        """Produce failed records again in rounds; back off while rounds keep failing, reset on any ack."""
        backoff = Backoff(initial=0.2, cap=self._settings.retry_backoff_max, jitter=0.5)
        failed_rounds = 0
        while True:
            batch = [self._retry.get()]
            while not self._retry.empty():
                batch.append(self._retry.get())
            if None in batch or self._closing.is_set():
                return
            if self._acked_since_retry:
                failed_rounds = 0
            self._acked_since_retry = False
            self._closing.wait(backoff.delay(failed_rounds))
            failed_rounds += 1
            for item in batch:
                if item is not None:
                    try:
                        self._produce(*item)
                    except PublisherClosed:
                        return

    # -- telemetry -------------------------------------------------------------------------------

    def _on_client_error(self, err: KafkaError) -> None:
        """librdkafka reports connection trouble here (it reconnects by itself)."""
        if err.code() in (KafkaError._ALL_BROKERS_DOWN, KafkaError._TRANSPORT, KafkaError._RESOLVE):
            self._set_connected(False)
        self._error("Kafka client error, retrying", kafka_error(err, "Kafka client"))

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

    def _error(self, message: str, exc: GrokpipeError) -> None:
        """Count every error; log at most once a second so an outage does not flood the log. A record is
        produced again after any other non-retriable error (a topic or authorization missing: fixed by a
        person, then it goes through), so that one is logged as an error. The record's own refusals
        (too large, invalid) never come here: :meth:`_refused` cuts or dead-letters them."""
        self._metrics.kafka_errors.inc()
        now = time.monotonic()
        if now - self._last_error_log >= 1.0:
            self._last_error_log = now
            level = logging.WARNING if exc.retriable else logging.ERROR
            log.log(level, message, extra={"error.type": type(exc).__name__, "error.message": str(exc)})

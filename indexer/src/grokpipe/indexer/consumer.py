"""The consume loop: batches from Kafka, pipelines, bulk writes, then (and only then) commits.

The consumer is librdkafka's (``confluent-kafka``). kafka-python 3 runs rebalance listeners on its
I/O thread, where a synchronous commit raises, so a revoke could not settle and commit its batch; and
librdkafka fetches and decodes records about 1.7x faster (issue 5 note). librdkafka invokes the
rebalance callbacks inside ``consume`` on this same thread, so when partitions are revoked the batch
collected so far is written and committed there and then: the next owner starts exactly after what
we settled.

Membership is static by default (``group.instance.id``, see ``IndexerSettings.group_instance_id``):
a replica killed without leaving takes its partitions back when it restarts. librdkafka sends no
LeaveGroup for a static member on close (KIP-345), so a clean stop unsubscribes first: the revoke
settles the batch, the group hears we left, and the other replicas take over at once.

Fetching rests on partitions read to the end (:mod:`grokpipe.indexer.idle`), and
``queued.min.messages`` is 1, not librdkafka's 100,000: it fetches a partition again once what it
prefetched was consumed, not in a loop (the embedded server answering each fetch at once) while the
consumer waits for Elasticsearch.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaError, KafkaException, Message, TopicPartition

from grokpipe.indexer.bulk import BulkWriter
from grokpipe.indexer.config import IndexerSettings
from grokpipe.indexer.documents import PARSE_FAILURE_TAGS, Document, build
from grokpipe.indexer.errors import IndexerError, KafkaRejected
from grokpipe.indexer.idle import IdleFetch
from grokpipe.indexer.metrics import IndexerMetrics
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import Scrubber
from grokpipe.indexer.workers import CHUNK, ParsePool, Record
from grokpipe.librdkafka import librdkafka_config
from grokpipe.logs import Throttle

log = logging.getLogger(__name__)
log.addFilter(Throttle())

Offsets = dict[tuple[str, int], int]

#: Commit refusals that mean "the group moved on": the new owner re-reads, and ids make that harmless.
_REBALANCED = {
    KafkaError.REBALANCE_IN_PROGRESS,
    KafkaError.ILLEGAL_GENERATION,
    KafkaError.UNKNOWN_MEMBER_ID,
    KafkaError.FENCED_INSTANCE_ID,
    KafkaError._NO_OFFSET,
}


class KafkaFatalError(IndexerError, KafkaRejected):
    """librdkafka gave up on this consumer for good, e.g. another replica joined with our instance id
    (not retriable: the consumer stops and says why)."""


class _Batch:
    """What was fetched since the last flush: documents (parsed here) or records (parsed by workers:
    the pending ones, then those handed to the pool with its future, kept to parse again if a
    worker dies), and the highest offset per partition."""

    def __init__(self) -> None:
        self.docs: list[Document] = []
        self.pending: list[Record] = []
        self.parsing: list[tuple[Future[list[Document]], list[Record]]] = []
        self.size = 0
        self.offsets: Offsets = {}
        self.bytes = 0
        self.started = 0.0

    def add(self, doc: Document, topic: str, partition: int, offset: int) -> None:
        self.docs.append(doc)
        self._count(topic, partition, offset, len(doc.raw))

    def add_record(self, record: Record) -> None:
        self.pending.append(record)
        self._count(record[1], record[2], record[3], len(record[0]))

    def _count(self, topic: str, partition: int, offset: int, size: int) -> None:
        if not self.size:
            self.started = time.monotonic()
        self.size += 1
        key = (topic, partition)
        if offset > self.offsets.get(key, -1):
            self.offsets[key] = offset
        self.bytes += size

    def dispatch(self, pool: ParsePool) -> None:
        """Hand the pending records to the pool, in tasks of at most :data:`CHUNK`."""
        for start in range(0, len(self.pending), CHUNK):
            chunk = self.pending[start : start + CHUNK]
            self.parsing.append((pool.submit(chunk), chunk))
        self.pending = []


def consumer_config(settings: IndexerSettings, host: str | None = None) -> dict[str, Any]:
    kafka = settings.kafka
    conf = librdkafka_config(kafka) | {
        "group.id": kafka.group_id,
        "enable.auto.commit": False,
        "enable.auto.offset.store": False,
        "auto.offset.reset": "earliest",
        # Real brokers cap a fetch response at fetch.max.bytes; noida-db ignores the cap and answers
        # with everything after the offset, which librdkafka refuses past this ceiling.
        "receive.message.max.bytes": 1_000_000_000,
        # fetch a partition again once its prefetched records are consumed, looking every 10 ms
        # rather than librdkafka's 1 s (see the module docstring)
        "queued.min.messages": 1,
        "fetch.queue.backoff.ms": 10,
        "logger": logging.getLogger("librdkafka"),
        "error_cb": _on_error,
    }
    instance_id = settings.group_instance_id(socket.gethostname() if host is None else host)
    if instance_id:
        conf["group.instance.id"] = instance_id
    return conf


def _on_error(error: KafkaError) -> None:
    # Broker down, connection refused...: librdkafka reconnects by itself; the loop just sees no records.
    level = logging.ERROR if error.fatal() else logging.WARNING
    log.log(level, "Kafka client error, retrying", extra={"error.code": error.name(), "error.message": error.str()})


class Consumer:
    def __init__(self, settings: IndexerSettings, router: Router, writer: BulkWriter, metrics: IndexerMetrics) -> None:
        self._settings = settings
        self._router = router
        self._writer = writer
        self._metrics = metrics
        self._stop = threading.Event()
        self._batch = _Batch()
        # One bulk request in flight while the next batch is polled and parsed (grok and Elasticsearch
        # overlap); its offsets are committed here, on the consumer's thread, once it has settled.
        self._bulk = ThreadPoolExecutor(max_workers=1, thread_name_prefix="bulk")
        self._inflight: tuple[Future[bool], Offsets] | None = None
        self._consumer: KafkaConsumer | None = None
        self._scrubber = Scrubber(settings.scrub)
        self._pool: ParsePool | None = None  # workers > 1: started in run(), on this thread
        self._fatal: KafkaError | None = None
        self._idle = IdleFetch()
        self.error: BaseException | None = None

    # -- rebalance callbacks (run inside consume(), on this thread) ------------------------------

    def _on_revoke(self, consumer: KafkaConsumer, revoked: list[TopicPartition]) -> None:
        self._idle.reassigned()
        if self._batch.size:
            log.info("partitions revoked: settling the current batch first", extra={"partitions": len(revoked)})
            self._flush()
        self._settle()

    def _on_assign(self, consumer: KafkaConsumer, assigned: list[TopicPartition]) -> None:
        self._idle.reassigned()
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})

    # -- loop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        limits = self._settings.batch
        conf = consumer_config(self._settings) | {"error_cb": self._on_error}
        log.info(
            "joining the consumer group", extra={"group": conf["group.id"], "instance": conf.get("group.instance.id")}
        )
        if self._settings.workers > 1:
            self._pool = ParsePool(self._settings, self._metrics)
            self._pool.start()
            log.info("parse workers started", extra={"workers": self._pool.workers})
        consumer = self._consumer = KafkaConsumer(conf)
        consumer.subscribe([self._settings.kafka.topic], on_assign=self._on_assign, on_revoke=self._on_revoke)
        next_lag = 0.0
        clean = False
        try:
            while not self._stop.is_set():
                if self._fatal is not None:
                    raise KafkaFatalError(
                        f"Kafka consumer failed for good: {self._fatal.name()}: {self._fatal.str()} "
                        f"(group.instance.id {conf.get('group.instance.id')!r}: does another indexer use it?)"
                    )
                room = max(1, limits.max_events - self._batch.size)
                for message in consumer.consume(num_messages=room, timeout=self._idle.poll_wait(consumer)):
                    self._add(message)
                self._idle.rest(consumer)
                if self._pool is not None and self._batch.pending:
                    self._batch.dispatch(self._pool)  # parsed while the next records are fetched
                if self._full() or (self._due() and self._bulk_idle()):
                    self._flush()
                elif self._inflight is not None and self._inflight[0].done():
                    self._settle()
                if time.monotonic() >= next_lag:
                    self._update_lag()
                    next_lag = time.monotonic() + 10
            clean = True
        finally:
            try:
                if self._batch.size and not self._stop.is_set():
                    self._flush()
                self._settle()
                if clean:
                    self._leave(consumer)
            finally:
                self._bulk.shutdown(wait=True)
                consumer.close()
                if self._pool is not None:
                    self._pool.close()

    def _on_error(self, error: KafkaError) -> None:
        if error.fatal():
            self._fatal = error
        _on_error(error)

    def _leave(self, consumer: KafkaConsumer, timeout: float = 10.0) -> None:
        """Unsubscribe and serve the revoke here, so that close() finds nothing to settle and a static
        member, too, sends LeaveGroup (librdkafka skips it on close for static members)."""
        consumer.unsubscribe()
        deadline = time.monotonic() + timeout
        while consumer.assignment() and time.monotonic() < deadline:
            consumer.consume(num_messages=1, timeout=0.1)  # records arriving now are re-read by the next owner
        if self._batch.size:  # fetched but not settled: nothing committed, the next owner re-reads them
            self._batch = _Batch()

    def _add(self, message: Message) -> None:
        error = message.error()
        if error is not None:
            if error.code() != KafkaError._PARTITION_EOF:
                log.warning("Kafka fetch error", extra={"error.code": error.name(), "error.message": error.str()})
            return
        topic, partition, offset = message.topic(), message.partition(), message.offset()
        if topic is None or partition is None or offset is None:  # only error events lack a position
            return
        self._idle.read(topic, partition, offset)
        if self._pool is not None:
            self._batch.add_record((message.value() or b"", topic, partition, offset))
            return
        doc = self._build(message.value() or b"", topic, partition, offset)
        self._batch.add(doc, topic, partition, offset)
        self._metrics.events_in.inc()
        self._count_failures(doc)

    def _build(self, raw: bytes, topic: str, partition: int, offset: int) -> Document:
        return build(
            raw,
            topic,
            partition,
            offset,
            router=self._router,
            namespace=self._settings.namespace,
            scrubber=self._scrubber,
        )

    def _full(self) -> bool:
        """At ``max_events`` or ``max_bytes``: sent as soon as the bulk in flight has settled."""
        batch, limits = self._batch, self._settings.batch
        return bool(batch.size) and (batch.size >= limits.max_events or batch.bytes >= limits.max_bytes)

    def _due(self) -> bool:
        """Open for ``max_wait``: sent once no bulk request is in flight; until then it keeps filling,
        so when Elasticsearch is the bottleneck each request takes what came during the one before."""
        batch = self._batch
        return bool(batch.size) and time.monotonic() - batch.started >= self._settings.batch.max_wait

    def _bulk_idle(self) -> bool:
        return self._inflight is None or self._inflight[0].done()

    def _flush(self) -> None:
        """Send the batch, then settle (and commit) the one still in flight, so offsets stay in order.
        The bulk thread is one: the new request waits in its queue and starts the moment the one
        before it settled, not once this thread has woken up and committed."""
        batch, self._batch = self._batch, _Batch()
        docs = batch.docs if self._pool is None else self._parsed(batch, self._pool)
        sent = self._bulk.submit(self._writer.write, docs)
        self._settle()
        self._inflight = (sent, batch.offsets)

    def _parsed(self, batch: _Batch, pool: ParsePool) -> list[Document]:
        """The batch's documents from the workers, in record order. A worker that died takes its
        tasks with it: the batch is parsed again by new workers, and if they die too, here."""
        batch.dispatch(pool)
        for _ in range(2):
            try:
                docs = [doc for future, _ in batch.parsing for doc in future.result()]
                break
            except BrokenProcessPool:
                pool.restart()
                batch.parsing = [(pool.submit(records), records) for _, records in batch.parsing]
        else:
            log.error("parse workers died twice on one batch: parsing it in the consumer", extra={"events": batch.size})
            docs = [self._build(*record) for _, records in batch.parsing for record in records]
        self._metrics.events_in.inc(len(docs))
        for doc in docs:
            self._count_failures(doc)
        return docs

    def _settle(self) -> None:
        """Wait for the batch in flight; commit its offsets once every document is settled."""
        if self._inflight is None:
            return
        future, last = self._inflight
        self._inflight = None
        if not future.result():  # a non-retryable failure raises here and stops the consumer
            return  # stopping: nothing committed, the next owner re-reads and Elasticsearch dedupes
        assert self._consumer is not None
        offsets = [TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()]
        try:
            self._consumer.commit(offsets=offsets, asynchronous=False)
            self._metrics.commits.inc()
        except KafkaException as exc:
            error = exc.args[0] if exc.args and isinstance(exc.args[0], KafkaError) else None
            # Whatever the reason (group moved on, broker away), the documents are in Elasticsearch: a
            # later commit covers these offsets, or the next owner re-reads them and ids dedupe.
            log.warning(
                "offset commit failed" + (" after a rebalance" if error and error.code() in _REBALANCED else ""),
                extra={"error.code": error.name() if error else None, "error.message": str(exc)},
            )

    def _count_failures(self, doc: Document) -> None:
        tags = doc.source.get("tags")
        if tags:
            for tag in PARSE_FAILURE_TAGS:
                if tag in tags:
                    self._metrics.parse_failures.labels(dataset=doc.source["event"]["dataset"], tag=tag).inc()

    def _update_lag(self) -> None:
        consumer = self._consumer
        assert consumer is not None
        try:
            assigned = consumer.assignment()
            if not assigned:
                return
            lag = 0
            for tp in consumer.position(assigned):
                _, high = consumer.get_watermark_offsets(tp, timeout=1.0, cached=False)
                if tp.offset >= 0:
                    lag += max(0, high - tp.offset)
            self._metrics.lag.set(lag)
        except KafkaException:
            pass

"""The consume loop: batches from Kafka, pipelines, bulk writes, then (and only then) commits.

Rebalance callbacks run inside ``poll`` on this same thread, so when partitions are revoked the
batch collected so far is written and committed there and then: the next owner starts exactly
after what we settled.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from kafka import ConsumerRebalanceListener, TopicPartition
from kafka.errors import CommitFailedError, KafkaError
from kafka.structs import OffsetAndMetadata

from grokpipe.clients import kafka_consumer
from indexer.bulk import BulkWriter
from indexer.config import IndexerSettings
from indexer.documents import PARSE_FAILURE_TAGS, Document, build
from indexer.metrics import IndexerMetrics
from indexer.pipeline import Router

log = logging.getLogger(__name__)


class _Batch:
    def __init__(self) -> None:
        self.docs: list[Document] = []
        self.offsets: dict[TopicPartition, int] = {}
        self.bytes = 0
        self.started = 0.0

    def add(self, doc: Document, tp: TopicPartition, offset: int) -> None:
        if not self.docs:
            self.started = time.monotonic()
        self.docs.append(doc)
        self.offsets[tp] = max(self.offsets.get(tp, -1), offset)
        self.bytes += len(doc.raw)


class Consumer(ConsumerRebalanceListener):  # type: ignore[misc]
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
        self._inflight: tuple[Future[bool], dict[TopicPartition, int]] | None = None
        self._consumer: Any = None
        self.error: BaseException | None = None

    # -- rebalance listener ----------------------------------------------------------------------

    def on_partitions_revoked(self, revoked: list[TopicPartition]) -> None:
        if self._batch.docs:
            log.info("partitions revoked: settling the current batch first", extra={"partitions": len(revoked)})
            self._flush()
        self._settle()

    def on_partitions_assigned(self, assigned: list[TopicPartition]) -> None:
        log.info("partitions assigned", extra={"partitions": sorted(f"{tp.topic}:{tp.partition}" for tp in assigned)})

    # -- loop ------------------------------------------------------------------------------------

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        kafka = self._settings.kafka
        while not self._stop.is_set():
            try:
                self._consumer = kafka_consumer(
                    kafka,
                    max_poll_records=self._settings.batch.max_events,
                    group_instance_id=self._settings.instance_id,
                )
                break
            except (KafkaError, OSError) as exc:
                log.warning("cannot connect to Kafka, retrying", extra={"error.message": str(exc)})
                self._stop.wait(2)
        if self._consumer is None:
            return
        self._consumer.subscribe([kafka.topic], listener=self)
        next_lag = 0.0
        try:
            while not self._stop.is_set():
                records = self._consumer.poll(timeout_ms=200, max_records=self._settings.batch.max_events)
                for tp, batch in records.items():
                    for record in batch:
                        doc = build(
                            record.value,
                            tp.topic,
                            tp.partition,
                            record.offset,
                            router=self._router,
                            namespace=self._settings.namespace,
                        )
                        self._batch.add(doc, tp, record.offset)
                        self._count_failures(doc)
                    self._metrics.events_in.inc(len(batch))
                if self._full():
                    self._flush()
                elif self._inflight is not None and self._inflight[0].done():
                    self._settle()
                if time.monotonic() >= next_lag:
                    self._update_lag()
                    next_lag = time.monotonic() + 10
        finally:
            try:
                if self._batch.docs and not self._stop.is_set():
                    self._flush()
                self._settle()
            finally:
                self._bulk.shutdown(wait=True)
                self._consumer.close(autocommit=False)

    def _full(self) -> bool:
        batch, limits = self._batch, self._settings.batch
        if not batch.docs:
            return False
        return (
            len(batch.docs) >= limits.max_events
            or batch.bytes >= limits.max_bytes
            or time.monotonic() - batch.started >= limits.max_wait
        )

    def _flush(self) -> None:
        """Send the batch; first settle (and commit) the one still in flight, so offsets stay in order."""
        batch, self._batch = self._batch, _Batch()
        self._settle()
        self._inflight = (self._bulk.submit(self._writer.write, batch.docs), batch.offsets)

    def _settle(self) -> None:
        """Wait for the batch in flight; commit its offsets once every document is settled."""
        if self._inflight is None:
            return
        future, last = self._inflight
        self._inflight = None
        if not future.result():  # a non-retryable failure raises here and stops the consumer
            return  # stopping: nothing committed, the next owner re-reads and Elasticsearch dedupes
        offsets = {tp: OffsetAndMetadata(offset + 1, "", -1) for tp, offset in last.items()}
        try:
            self._consumer.commit(offsets)
            self._metrics.commits.inc()
        except CommitFailedError as exc:
            # Partitions moved on during the write: the new owner re-reads; ids make that harmless.
            log.warning("offset commit refused after a rebalance", extra={"error.message": str(exc)})

    def _count_failures(self, doc: Document) -> None:
        tags = doc.source.get("tags")
        if tags:
            for tag in PARSE_FAILURE_TAGS:
                if tag in tags:
                    self._metrics.parse_failures.labels(dataset=doc.source["event"]["dataset"], tag=tag).inc()

    def _update_lag(self) -> None:
        try:
            assigned = list(self._consumer.assignment())
            if not assigned:
                return
            ends = self._consumer.end_offsets(assigned)
            lag = sum(max(0, ends[tp] - (self._consumer.position(tp) or 0)) for tp in assigned)
            self._metrics.lag.set(lag)
        except KafkaError:
            pass

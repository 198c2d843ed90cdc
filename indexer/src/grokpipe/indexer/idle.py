"""Fetching rests on partitions the consumer has read to the end.

librdkafka fetches a partition again as soon as an answer comes back (while fewer than
``queued.min.messages`` of its records wait) and counts on the broker to hold an empty fetch for
``fetch.wait.max.ms``. The embedded server (noida-db) answers at once, so a consumer at the end of
the log sent ~20,000 empty fetches a second: half a core of ours and half a core of the server's,
taken from the bulk requests (stage c of bench/indexer.py: 18 s of librdkafka CPU for 50k events,
c / min(a, b) 0.74).

So a partition read up to its high watermark is paused. Every :data:`IDLE_REST` seconds one
ListOffsets request asks for the log ends of the paused partitions, and those that grew are
resumed; they stay resumed until read up to that end, so a resume is never undone before its fetch
came back. On Apache Kafka, which holds empty fetches, this costs a line at most :data:`IDLE_REST`
of latency and saves nothing but also breaks nothing.

A partition whose position is not known is never taken for one read to its end: before its first
record the position is the committed offset, and a committed offset that could not be asked (the
group coordinator busy, as right after a replica was killed and rejoined) is asked again
:data:`ASK_AGAIN` seconds later. Taking the log start for it instead (as this module once did) kept
a partition idle at its committed end fetching for ever: the busy loop above, ~60% of a core in
librdkafka's broker thread, until the next rebalance.

Delivery is unchanged: a pause drops what librdkafka prefetched for the partition, and the resume
fetches again from the position after the last record handed to the consumer, so nothing is
skipped and nothing handed twice. Offsets are committed by the consumer from its batches, as before.
"""

from __future__ import annotations

import contextlib
import time

from confluent_kafka import Consumer as KafkaConsumer
from confluent_kafka import KafkaException, TopicPartition

#: Seconds between looks at the log ends of paused partitions (at most this much added latency).
IDLE_REST = 0.05
#: How long a poll waits for records while some partition is fetching. Short: on the embedded
#: server, waiting for records is fetching in a loop.
POLL_WAIT = 0.01
#: How long a poll waits while every partition rests: records cannot come, callbacks can.
REST_WAIT = IDLE_REST
#: Seconds before committed offsets that could not be asked are asked again.
ASK_AGAIN = 1.0

Partition = tuple[str, int]


class IdleFetch:
    """Which partitions rest, and when to look again. Used on the consumer's thread only."""

    def __init__(self) -> None:
        self._next: dict[Partition, int] = {}  # offset after the last record read, or the committed one
        self._ends: dict[Partition, int] = {}  # log ends learnt by asking (ListOffsets)
        self._paused: set[Partition] = set()
        self._look_at = 0.0
        self._ask_at = 0.0  # when committed offsets may be asked again after a failure
        self._resume_all = False

    def read(self, topic: str, partition: int, offset: int) -> None:
        self._next[(topic, partition)] = offset + 1

    def reassigned(self) -> None:
        """Partitions were revoked or assigned (rebalance callbacks): start over; whatever is
        assigned next is resumed before the next poll (a pause may outlive an assignment)."""
        self._next.clear()
        self._ends.clear()
        self._paused.clear()
        self._ask_at = 0.0
        self._resume_all = True

    def poll_wait(self, consumer: KafkaConsumer) -> float:
        """Resume what needs it; how long the next poll may wait for records."""
        if self._resume_all:
            self._resume_all = False
            with contextlib.suppress(KafkaException):
                consumer.resume(consumer.assignment())
        if self._paused and time.monotonic() >= self._look_at:
            self._look(consumer)
        if self._paused and len(self._paused) >= len(consumer.assignment()):
            return max(0.0, min(REST_WAIT, self._look_at - time.monotonic()))
        return POLL_WAIT

    def rest(self, consumer: KafkaConsumer) -> None:
        """Pause the partitions read to the end (as far as their last fetch answer, or our last
        look, knew)."""
        assigned = [tp for tp in consumer.assignment() if (tp.topic, tp.partition) not in self._paused]
        if not assigned:
            return
        drained = []
        for tp in assigned:
            position = self._position(consumer, tp, assigned)
            if position is not None and self._at_end(consumer, tp, position):
                drained.append(tp)
        if not drained:
            return
        with contextlib.suppress(KafkaException):
            consumer.pause(drained)
            if not self._paused:
                self._look_at = time.monotonic() + IDLE_REST
            self._paused.update((tp.topic, tp.partition) for tp in drained)

    def _position(self, consumer: KafkaConsumer, tp: TopicPartition, assigned: list[TopicPartition]) -> int | None:
        """Where we read next: after our last record; before any, the committed offset (asked once
        for all such partitions); with none, the low watermark (``auto.offset.reset: earliest``).
        None while the committed offset could not be asked (asked again after :data:`ASK_AGAIN`)."""
        key = (tp.topic, tp.partition)
        if key not in self._next:
            if time.monotonic() < self._ask_at:
                return None
            unknown = [p for p in assigned if (p.topic, p.partition) not in self._next]
            try:
                committed = consumer.committed(unknown, timeout=2.0)
            except KafkaException:
                committed = []
            for p in committed:
                if p.error is None:
                    self._next[(p.topic, p.partition)] = p.offset
            if key not in self._next:
                self._ask_at = time.monotonic() + ASK_AGAIN
                return None
        return self._resolved(consumer, tp)

    def _resolved(self, consumer: KafkaConsumer, tp: TopicPartition) -> int:
        position = self._next.get((tp.topic, tp.partition), -1)
        if position < 0:
            position = consumer.get_watermark_offsets(tp, cached=True)[0]
        return position

    def _at_end(self, consumer: KafkaConsumer, tp: TopicPartition, position: int) -> bool:
        high = max(consumer.get_watermark_offsets(tp, cached=True)[1], self._ends.get((tp.topic, tp.partition), -1))
        return 0 <= high <= position

    def _look(self, consumer: KafkaConsumer) -> None:
        """One ListOffsets for the paused partitions' log ends; resume those that grew."""
        self._look_at = time.monotonic() + IDLE_REST
        paused = [TopicPartition(topic, partition, -1) for topic, partition in self._paused]  # -1: the end
        try:
            ends = consumer.offsets_for_times(paused, timeout=1.0)
        except KafkaException:
            return
        grown = []
        for tp in ends:
            key = (tp.topic, tp.partition)
            if tp.error is None and tp.offset > self._resolved(consumer, tp) >= 0:
                self._ends[key] = tp.offset
                grown.append(TopicPartition(tp.topic, tp.partition))
        if grown:
            with contextlib.suppress(KafkaException):
                consumer.resume(grown)
                self._paused.difference_update((tp.topic, tp.partition) for tp in grown)

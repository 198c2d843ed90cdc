"""Fetch rests: which partitions pause, when they resume, and that a resume is not undone before
its records were read (an in-memory consumer standing in for librdkafka's calls)."""

from __future__ import annotations

from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException, TopicPartition

from grokpipe.indexer import idle
from grokpipe.indexer.idle import IdleFetch

INVALID = -1001


class FakeConsumer:
    """Log ends per partition; ``fetched`` is the high watermark the last fetch answer carried."""

    def __init__(self, ends: dict[int, int], committed: dict[int, int] | None = None) -> None:
        self.ends = dict(ends)
        self.fetched = dict(ends)
        self.committed_offsets = committed or {}
        self.paused: set[int] = set()
        self.committed_calls = 0
        self.looks = 0

    def assignment(self) -> list[TopicPartition]:
        return [TopicPartition("t", p) for p in sorted(self.ends)]

    def pause(self, partitions: list[TopicPartition]) -> None:
        self.paused.update(tp.partition for tp in partitions)

    def resume(self, partitions: list[TopicPartition]) -> None:
        self.paused.difference_update(tp.partition for tp in partitions)

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        self.committed_calls += 1
        offsets = self.committed_offsets
        return [TopicPartition("t", tp.partition, offsets.get(tp.partition, INVALID)) for tp in partitions]

    def get_watermark_offsets(self, tp: TopicPartition, cached: bool) -> tuple[int, int]:
        assert cached
        return 0, self.fetched[tp.partition]

    def offsets_for_times(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        self.looks += 1
        assert all(tp.offset == -1 for tp in partitions)  # -1: the log end
        return [TopicPartition("t", tp.partition, self.ends[tp.partition]) for tp in partitions]


@pytest.fixture(autouse=True)
def _no_rest(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(idle, "IDLE_REST", 0.0)


def fake(consumer: FakeConsumer) -> Any:
    return consumer


def test_read_to_the_end_pauses_only_those_partitions() -> None:
    consumer = FakeConsumer({0: 10, 1: 5})
    rest = IdleFetch()
    rest.read("t", 0, 9)  # partition 0 read to its end, partition 1 only up to offset 2
    rest.read("t", 1, 2)
    rest.rest(fake(consumer))
    assert consumer.paused == {0}
    assert rest.poll_wait(fake(consumer)) == idle.POLL_WAIT  # partition 1 is still fetching


def test_before_any_record_the_committed_offset_is_the_position_asked_once() -> None:
    consumer = FakeConsumer({0: 10, 1: 5, 2: 0}, committed={0: 10, 1: 3})
    rest = IdleFetch()
    rest.rest(fake(consumer))
    rest.rest(fake(consumer))
    # 0: committed at its end; 1: records after the commit; 2: nothing committed, empty (low = high)
    assert consumer.paused == {0, 2}
    assert consumer.committed_calls == 1


def test_no_fetch_answer_yet_is_not_the_end() -> None:
    consumer = FakeConsumer({0: 0})
    consumer.fetched[0] = INVALID
    rest = IdleFetch()
    rest.rest(fake(consumer))
    assert consumer.paused == set()


def test_a_partition_that_grew_resumes_and_stays_resumed_until_read() -> None:
    consumer = FakeConsumer({0: 10})
    rest = IdleFetch()
    rest.read("t", 0, 9)
    rest.rest(fake(consumer))
    assert consumer.paused == {0}
    assert rest.poll_wait(fake(consumer)) >= 0  # looked: nothing new, still resting
    assert consumer.paused == {0}
    consumer.ends[0] = 12  # two records written; the last fetch answer (before the pause) knew of 10
    rest.poll_wait(fake(consumer))
    assert consumer.paused == set()
    rest.rest(fake(consumer))  # the fetch has not come back yet: the end we looked up still counts
    assert consumer.paused == set()
    rest.read("t", 0, 11)
    rest.rest(fake(consumer))
    assert consumer.paused == {0}


def test_every_partition_resting_waits_for_the_next_look() -> None:
    consumer = FakeConsumer({0: 1, 1: 1})
    rest = IdleFetch()
    rest.read("t", 0, 0)
    rest.read("t", 1, 0)
    rest.rest(fake(consumer))
    assert consumer.paused == {0, 1}
    looks = consumer.looks
    rest.poll_wait(fake(consumer))
    assert consumer.looks == looks + 1


def test_a_rebalance_starts_over_and_resumes_what_is_assigned() -> None:
    consumer = FakeConsumer({0: 4})
    rest = IdleFetch()
    rest.read("t", 0, 3)
    rest.rest(fake(consumer))
    assert consumer.paused == {0}
    rest.reassigned()
    rest.poll_wait(fake(consumer))
    assert consumer.paused == set()
    rest.rest(fake(consumer))  # position forgotten: the committed offset is asked again
    assert consumer.committed_calls == 1


class BusyCoordinator(FakeConsumer):
    """committed() fails the first ``failures`` times (the group coordinator busy after a restart)."""

    def __init__(self, failures: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.failures = failures

    def committed(self, partitions: list[TopicPartition], timeout: float) -> list[TopicPartition]:
        if self.failures:
            self.failures -= 1
            self.committed_calls += 1
            raise KafkaException(KafkaError(KafkaError.COORDINATOR_LOAD_IN_PROGRESS))
        return super().committed(partitions, timeout)


def test_a_committed_offset_that_could_not_be_asked_is_asked_again_not_guessed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Committed at its end (10) and nothing new: the partition rests once the offset is known. Taking
    the log start (0) for an offset that could not be asked kept it fetching for ever."""
    consumer = BusyCoordinator(1, ends={0: 10}, committed={0: 10})
    rest = IdleFetch()
    rest.rest(fake(consumer))
    assert consumer.paused == set()  # not known yet: not taken for read to its end either
    rest.rest(fake(consumer))
    assert consumer.committed_calls == 1  # not asked again before ASK_AGAIN
    monkeypatch.setattr(idle, "ASK_AGAIN", 0.0)
    rest._ask_at = 0.0
    rest.rest(fake(consumer))
    assert consumer.paused == {0}
    assert consumer.committed_calls == 2

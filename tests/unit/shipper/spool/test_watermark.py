"""The acknowledgement watermark: a pure object, driven by tables of registrations and acks."""

from __future__ import annotations

import random

import pytest

from grokpipe.shipper.spool.watermark import Position, Watermark

# Five records across two segments: (segment, offset just past the record, size).
RECORDS: list[Position] = [(0, 10, 10), (0, 25, 15), (0, 40, 15), (1, 8, 8), (1, 20, 12)]


@pytest.mark.parametrize(
    ("acks", "freed", "committed"),
    [
        # in order: every ack moves the watermark over its own record
        ([0, 1, 2, 3, 4], [10, 15, 15, 8, 12], [(0, 10), (0, 25), (0, 40), (1, 8), (1, 20)]),
        # reversed: nothing moves until the oldest arrives, then everything at once
        ([4, 3, 2, 1, 0], [0, 0, 0, 0, 60], [(0, 0), (0, 0), (0, 0), (0, 0), (1, 20)]),
        # two partitions: evens first, then odds; each odd closes a gap
        ([0, 2, 4, 1, 3], [10, 0, 0, 30, 20], [(0, 10), (0, 10), (0, 10), (0, 40), (1, 20)]),
        # a gap stays open: 2 is late, so 3 waits; the watermark stops at the end of 1
        ([1, 0, 3, 4, 2], [0, 25, 0, 0, 35], [(0, 0), (0, 25), (0, 25), (0, 25), (1, 20)]),
        # the watermark crosses a segment boundary on one ack
        ([0, 1, 3, 2, 4], [10, 15, 0, 23, 12], [(0, 10), (0, 25), (0, 25), (1, 8), (1, 20)]),
    ],
    ids=["in-order", "reversed", "partitions", "late-gap", "across-segments"],
)
def test_acks_move_the_watermark_over_the_acknowledged_prefix(
    acks: list[int], freed: list[int], committed: list[tuple[int, int]]
) -> None:
    watermark = Watermark()
    assert watermark.register(RECORDS) == 0
    seen_freed: list[int] = []
    seen_committed: list[tuple[int, int]] = []
    for seq in acks:
        seen_freed.append(watermark.ack(seq))
        seen_committed.append(watermark.committed)
    assert (seen_freed, seen_committed) == (freed, committed)
    assert (watermark.base, watermark.unsettled, watermark.next_seq) == (5, 0, 5)
    assert watermark.freed == sum(freed) == 60


@pytest.mark.parametrize(
    ("acks", "base", "unsettled"),
    [
        ([], 0, 5),
        ([0], 1, 4),
        ([1, 2, 3, 4], 0, 5),  # acknowledged ahead, still unsettled: the checkpoint cannot pass 0
        ([0, 2], 1, 4),
        ([0, 1, 2], 3, 2),
    ],
)
def test_unsettled_counts_what_is_not_under_the_watermark(acks: list[int], base: int, unsettled: int) -> None:
    watermark = Watermark()
    watermark.register(RECORDS)
    for seq in acks:
        watermark.ack(seq)
    assert (watermark.base, watermark.unsettled, watermark.next_seq) == (base, unsettled, 5)
    assert watermark.acknowledged == len(acks)


@pytest.mark.parametrize(
    ("start", "batches", "first_seqs"),
    [
        ((0, 0), [RECORDS[:2], RECORDS[2:]], [0, 2]),
        ((7, 4096), [RECORDS[:1], RECORDS[1:4], RECORDS[4:]], [0, 1, 4]),
        ((3, 0), [[], RECORDS], [0, 0]),  # an empty registration takes no sequence number
    ],
)
def test_registration_numbers_records_in_log_order(
    start: tuple[int, int], batches: list[list[Position]], first_seqs: list[int]
) -> None:
    watermark = Watermark(*start)
    assert watermark.committed == start  # before any ack: the checkpoint recovery started from
    assert [watermark.register(batch) for batch in batches] == first_seqs
    assert watermark.next_seq == len(RECORDS)


def test_registering_after_acks_continues_the_numbering() -> None:
    watermark = Watermark()
    watermark.register(RECORDS[:2])
    assert [watermark.ack(1), watermark.ack(0)] == [0, 25]
    assert watermark.register(RECORDS[2:]) == 2
    assert [watermark.ack(3), watermark.ack(4), watermark.ack(2)] == [0, 0, 35]
    assert watermark.committed == (1, 20)


@pytest.mark.parametrize("seed", range(20))
def test_any_ack_order_ends_at_the_last_record_and_frees_every_byte(seed: int) -> None:
    """Against a model: after every ack the committed position is the end of the longest acknowledged
    prefix, and the bytes freed so far are that prefix's sizes."""
    rng = random.Random(seed)
    positions = [(i // 7, (i % 7 + 1) * 100, 100) for i in range(60)]
    watermark = Watermark()
    watermark.register(positions)
    order = list(range(len(positions)))
    rng.shuffle(order)
    acked: set[int] = set()
    total = 0
    for seq in order:
        total += watermark.ack(seq)
        acked.add(seq)
        prefix = 0
        while prefix in acked:
            prefix += 1
        assert total == 100 * prefix
        assert watermark.committed == ((0, 0) if prefix == 0 else positions[prefix - 1][:2])
    assert (watermark.committed, watermark.unsettled) == ((8, 400), 0)

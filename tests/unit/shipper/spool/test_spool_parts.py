"""The spool's parts on their own: checkpoint position, memory hand-off, admission, group fsync, lock."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from grokpipe.shipper.spool import SpoolError, handoff
from grokpipe.shipper.spool.admission import Admission
from grokpipe.shipper.spool.checkpoint import checkpoint_position, load_checkpoint
from grokpipe.shipper.spool.fsync import GroupFsync
from grokpipe.shipper.spool.handoff import MemoryHandoff
from grokpipe.shipper.spool.lock import DirectoryLock
from grokpipe.shipper.spool.watermark import Watermark


@pytest.mark.parametrize(
    ("committed", "write_segment", "sizes", "position"),
    [
        ((0, 0), 0, {}, (0, 0)),  # nothing acknowledged, writing the first segment
        ((2, 50), 3, {2: 100}, (2, 50)),  # inside a closed segment: it stays
        ((2, 100), 3, {2: 100}, (3, 0)),  # at the end of a closed segment: past it, so it goes
        ((1, 30), 4, {1: 30, 2: 70, 3: 10}, (2, 0)),  # only the wholly acknowledged one goes
        ((3, 100), 3, {}, (3, 100)),  # the segment being written never counts as whole
        ((1, 0), 3, {2: 40}, (2, 0)),  # a segment deleted already counts as empty
    ],
)
def test_the_checkpoint_goes_past_wholly_acknowledged_segments(
    committed: tuple[int, int], write_segment: int, sizes: dict[int, int], position: tuple[int, int]
) -> None:
    assert checkpoint_position(committed, write_segment, sizes) == position


@pytest.mark.parametrize("content", [b"{nope", b"{}", b'{"segment": "x", "offset": 0}', b"[1, 2]"])
def test_a_corrupt_checkpoint_names_the_file(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "checkpoint.json").write_bytes(content)
    with pytest.raises(SpoolError, match=r"checkpoint\.json is corrupt"):
        load_checkpoint(tmp_path)


def test_a_missing_checkpoint_is_none(tmp_path: Path) -> None:
    assert load_checkpoint(tmp_path) is None


def test_the_handoff_switches_off_when_full(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff, "MEMORY_BYTES", 100)
    memory = MemoryHandoff()
    memory.enabled = True
    for i in range(4):
        memory.offer(b"k", b"v%d" % i, 0, 30 * (i + 1), 30)
    assert (memory.enabled, len(memory.entries), memory.nbytes) == (False, 3, 90)  # the 4th would overflow
    assert [entry[1] for entry in memory.take(2)] == [b"v0", b"v1"]
    assert memory.nbytes == 30
    assert [entry[1] for entry in memory.take(10)] == [b"v2"]
    assert (len(memory.entries), memory.nbytes) == (0, 0)


def test_the_handoff_takes_a_batch_up_to_its_bound(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff, "MEMORY_BYTES", 100)
    memory = MemoryHandoff()
    memory.enabled = True
    records = [(b"k", b"v%d" % i) for i in range(5)]
    encoded = [b"x" * 30] * 5
    memory.offer_many(records, encoded, 1, 5, segment=3, offset=1000)  # records 1..4, written at offset 1000
    assert memory.enabled is False  # the 4th of them would overflow: the drain reads it from the file
    assert list(memory.entries) == [
        (b"k", b"v1", 3, 1030, 30),
        (b"k", b"v2", 3, 1060, 30),
        (b"k", b"v3", 3, 1090, 30),
    ]
    assert memory.nbytes == 90


def acknowledge(watermark: Watermark, size: int) -> None:
    """The watermark moves over ``size`` bytes (one record, registered and acknowledged)."""
    watermark.ack(watermark.register([(0, size, size)]))


def test_admission_bounds_the_spool_but_takes_any_record_when_empty() -> None:
    lock, watermark = threading.Lock(), Watermark()
    admission = Admission(lock, 100, watermark)
    with lock:
        assert not admission.admit(10, timeout=0)  # closed until opened
        admission.open(spooled=0)
        assert admission.admit(500, timeout=0)  # empty: any size
        assert not admission.admit(1, timeout=0.01)  # full
        acknowledge(watermark, 500)
        assert admission.admit(60, timeout=0)
        assert not admission.admit(60, timeout=0)  # admitted and still being written counts too
        admission.unreserve(60)
        assert admission.admit(60, timeout=0)
    assert (admission.used, admission.admitted) == (60, 560)


def test_admission_counts_what_recovery_found() -> None:
    lock, watermark = threading.Lock(), Watermark()
    admission = Admission(lock, 100, watermark)
    with lock:
        admission.open(spooled=90)
        assert not admission.admit(20, timeout=0)
        acknowledge(watermark, 10)
        assert admission.admit(20, timeout=0)
    assert admission.used == 100


def test_admission_wakes_a_waiting_writer_on_release_and_on_close() -> None:
    lock, watermark = threading.Lock(), Watermark()
    admission = Admission(lock, 100, watermark)
    results: list[bool] = []

    def wait_for(size: int) -> None:
        with lock:
            results.append(admission.admit(size, timeout=None))

    with lock:
        admission.open(spooled=100)
    writer = threading.Thread(target=wait_for, args=(50,))
    writer.start()
    time.sleep(0.05)
    assert results == []
    with lock:
        acknowledge(watermark, 50)
        admission.wake()
    writer.join(timeout=10)
    assert results == [True]
    writer = threading.Thread(target=wait_for, args=(50,))
    writer.start()
    time.sleep(0.05)
    with lock:
        admission.close()
    writer.join(timeout=10)
    assert results == [True, False]


def test_group_fsync_shares_one_fsync_among_waiting_callers() -> None:
    written = [0]
    calls: list[int] = []
    release = threading.Event()

    def fsync() -> int:
        covered = written[0]
        calls.append(covered)
        release.wait()  # a slow disk: others arrive meanwhile
        return covered

    group = GroupFsync(fsync)
    written[0] = 10
    first = threading.Thread(target=group.sync_until, args=(10,))
    first.start()
    while not calls:
        time.sleep(0.001)
    written[0] = 50  # four more writers wrote while the first fsync ran
    others = [threading.Thread(target=group.sync_until, args=(20 + 10 * i,)) for i in range(4)]
    for thread in others:
        thread.start()
    time.sleep(0.05)
    release.set()
    for thread in [first, *others]:
        thread.join(timeout=10)
    assert calls == [10, 50]  # one fsync for the first, one for the four that waited
    assert group.synced == 50
    group.sync_until(30)  # covered already: no fsync
    assert len(calls) == 2


def test_a_failed_fsync_covers_nothing_and_the_next_caller_retries() -> None:
    outcomes: list[int | OSError] = [OSError("I/O error"), 10]

    def fsync() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, OSError):
            raise outcome
        return outcome

    group = GroupFsync(fsync)
    with pytest.raises(OSError, match="I/O error"):
        group.sync_until(10)
    assert group.synced == 0
    group.sync_until(10)
    assert (group.synced, outcomes) == (10, [])


def test_one_lock_holder_per_directory(tmp_path: Path) -> None:
    first, second = DirectoryLock(tmp_path), DirectoryLock(tmp_path)
    first.acquire()
    with pytest.raises(SpoolError, match="in use"):
        second.acquire()
    assert (first.held, second.held) == (True, False)
    first.release()
    second.acquire()  # released: the next owner takes it
    second.release()

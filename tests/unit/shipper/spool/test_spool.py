"""The spool against the file system, with an in-memory stand-in for ``Publisher.publish``."""

from __future__ import annotations

import errno
import os
import random
import stat
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import ValidationError

from grokpipe.shipper.errors import PublisherClosed
from grokpipe.shipper.spool import Spool, SpoolError, SpoolSettings, SpoolWriteError
from grokpipe.shipper.spool import handoff as spool_module
from grokpipe.shipper.spool.segments import HEADER, decode_records, encode_record, segment_path

OnAck = Callable[[], None]
MiB = 1024 * 1024


class FakeKafka:
    """``publish`` stand-in: keeps what it was handed; acknowledges at once or when the test says so."""

    def __init__(self, auto_ack: bool = True) -> None:
        self.auto_ack = auto_ack
        self.records: list[tuple[bytes, bytes]] = []
        self.pending: list[OnAck] = []  # the ack of records[i], for manual acks
        self.gate = threading.Event()
        self.gate.set()
        self._lock = threading.Lock()

    def publish(self, key: bytes, value: bytes, on_ack: OnAck | None) -> None:
        self.gate.wait()
        assert on_ack is not None
        with self._lock:
            self.records.append((key, value))
            self.pending.append(on_ack)
        if self.auto_ack:
            on_ack()

    def ack(self, *indices: int) -> None:
        for i in indices:
            self.pending[i]()

    @property
    def values(self) -> list[bytes]:
        return [value for _, value in self.records]


def wait_until(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.005)


def values(n: int, start: int = 0, size: int = 0) -> list[bytes]:
    return [f"{i:06d}".encode().ljust(size, b".") for i in range(start, start + n)]


def segments(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.seg"))


@pytest.fixture
def spools() -> Iterator[list[Spool]]:
    """Spools a test started; stopped at the end so no drain thread outlives the test."""
    started: list[Spool] = []
    yield started
    for spool in started:
        spool.stop(0)


def open_spool(directory: Path, kafka: FakeKafka, spools: list[Spool], **settings: object) -> Spool:
    spool = Spool(directory, SpoolSettings.model_validate({"segment_bytes": 4096, **settings}), kafka.publish)
    spool.start()
    spools.append(spool)
    return spool


def test_settings_are_validated() -> None:
    assert SpoolSettings().fsync == "interval"
    with pytest.raises(ValidationError):
        SpoolSettings(max_bytes=1000)
    with pytest.raises(ValidationError):
        SpoolSettings.model_validate({"fsync": "sometimes"})
    with pytest.raises(ValidationError):
        SpoolSettings.model_validate({"fsync_every": 1})


# -- draining ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fsync", ["always", "interval", "never"])
def test_records_drain_in_order_and_acknowledged_segments_go(tmp_path: Path, spools: list[Spool], fsync: str) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools, fsync=fsync, fsync_interval=0.05)
    expected = values(3000, size=100)
    for value in expected:
        assert spool.put(b"key", value)
    wait_until(lambda: spool.depth == 0)
    assert kafka.values == expected
    assert spool.bytes == 0
    wait_until(lambda: len(segments(tmp_path)) == 1)  # ~90 segments written, all but the open one deleted
    spool.stop(5)
    again = open_spool(tmp_path, FakeKafka(), spools)
    assert (again.depth, again.bytes, again.dropped_torn) == (0, 0, 0)


def test_restart_replays_what_kafka_did_not_acknowledge(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools)
    expected = values(300, size=50)
    for value in expected:
        spool.put(b"k", value)
    wait_until(lambda: len(kafka.records) == 300)
    kafka.ack(*range(120))
    assert spool.depth == 180
    spool.stop(0)
    assert len(segments(tmp_path)) < 6  # the acknowledged segments are gone

    replay = FakeKafka(auto_ack=False)
    again = open_spool(tmp_path, replay, spools)
    assert again.depth == 180
    wait_until(lambda: len(replay.records) == 180)
    replay.ack(*range(180))
    assert replay.values == expected[120:]
    replay.auto_ack = True
    assert again.put(b"k", b"after")
    wait_until(lambda: again.depth == 0)
    assert replay.values[-1] == b"after"


def test_out_of_order_acks_do_not_move_the_checkpoint_past_a_gap(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools)
    expected = values(10, size=200)
    for value in expected:
        spool.put(b"k", value)
    wait_until(lambda: len(kafka.records) == 10)
    full = spool.bytes
    kafka.ack(9, 8, 7, 1, 0, 3)  # 2 is missing
    assert spool.depth == 4
    after_two = full - 2 * len(encode_record(b"k", expected[0]))
    assert spool.bytes == after_two  # only 0 and 1 are under the watermark
    spool.stop(0)

    replay = FakeKafka(auto_ack=False)
    again = open_spool(tmp_path, replay, spools)
    wait_until(lambda: len(replay.records) == 8)
    assert replay.values == expected[2:]  # 3, 7, 8, 9 come again: at least once
    replay.ack(*reversed(range(8)))
    assert (again.depth, again.bytes) == (0, 0)


def test_acks_from_another_thread_in_any_order(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools, segment_bytes=64 * 1024)
    n = 20_000
    for value in values(n, size=20):
        spool.put(b"k", value)
    wait_until(lambda: len(kafka.records) == n)
    # Kafka acknowledges partition by partition: evens first, then odds, from a poll thread.
    acker = threading.Thread(target=lambda: kafka.ack(*range(0, n, 2), *range(1, n, 2)))
    acker.start()
    acker.join()
    assert (spool.depth, spool.bytes) == (0, 0)
    wait_until(lambda: len(segments(tmp_path)) == 1)


def test_drain_falls_back_to_the_files_and_back_to_memory(
    tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Kafka stalls: the memory hand-off overflows, the drain reads the segments, then catches up."""
    monkeypatch.setattr(spool_module, "MEMORY_BYTES", 2000)
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools)
    first = values(5, size=100)
    for value in first:
        spool.put(b"k", value)
    wait_until(lambda: spool.depth == 0)
    kafka.gate.clear()  # the next publish blocks
    stalled = values(500, start=5, size=100)
    for value in stalled:
        spool.put(b"k", value)
    kafka.gate.set()
    wait_until(lambda: spool.depth == 0)
    last = values(5, start=505, size=100)
    for value in last:
        spool.put(b"k", value)
    wait_until(lambda: spool.depth == 0)
    assert kafka.values == first + stalled + last


def test_concurrent_puts_keep_each_writers_order(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools, fsync="always", segment_bytes=32 * 1024)
    writers, per_writer = 8, 1500

    def write(w: int) -> None:
        for i in range(per_writer):
            assert spool.put(f"w{w}".encode(), f"{w}:{i}".encode())

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(lambda: spool.depth == 0)
    assert len(kafka.records) == writers * per_writer
    for w in range(writers):
        mine = [value for key, value in kafka.records if key == f"w{w}".encode()]
        assert mine == [f"{w}:{i}".encode() for i in range(per_writer)]


def test_put_many_is_one_batch_in_order(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools)
    batch = [(b"k", value) for value in values(100, size=300)]  # spans several 4 KiB segments
    assert spool.put_many(batch)
    wait_until(lambda: spool.depth == 0)
    assert kafka.records == batch


# -- what a crash can lose --------------------------------------------------------------------


class FsyncLog:
    """Wraps ``os.fsync``: per file, the size it had when last fsynced — what a power cut keeps."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.durable: dict[int, int] = {}
        real = os.fsync

        def fsync(fd: int) -> None:
            info = os.fstat(fd)
            real(fd)
            if stat.S_ISREG(info.st_mode):
                self.durable[info.st_ino] = max(self.durable.get(info.st_ino, 0), info.st_size)

        monkeypatch.setattr(os, "fsync", fsync)

    def size(self, path: Path) -> int:
        return self.durable.get(path.stat().st_ino, 0)


def on_disk(directory: Path) -> list[bytes]:
    """The records a fresh reader finds in the segments (what a kill -9 leaves)."""
    found: list[bytes] = []
    for path in segments(directory):
        found += [r.value for r in decode_records(path.read_bytes(), 0, verify=True)[0]]
    return found


@pytest.mark.parametrize("fsync", ["always", "interval", "never"])
def test_a_returned_put_is_in_the_file_under_every_policy(tmp_path: Path, spools: list[Spool], fsync: str) -> None:
    """The kill -9 bound: put() returns after os.write, so a process kill loses no returned record."""
    spool = open_spool(tmp_path, FakeKafka(auto_ack=False), spools, fsync=fsync, fsync_interval=3600)
    expected = values(300, size=30)  # a few 4 KiB segments
    for i, value in enumerate(expected):
        assert spool.put(b"k", value)
        assert on_disk(tmp_path) == expected[: i + 1]


def test_always_fsyncs_before_put_returns(tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch) -> None:
    """The power-loss bound of ``always``: nothing whose put() returned."""
    fsynced = FsyncLog(monkeypatch)
    spool = open_spool(tmp_path, FakeKafka(auto_ack=False), spools, fsync="always")
    for value in values(300, size=30):
        spool.put(b"k", value)
        current = segments(tmp_path)[-1]
        assert fsynced.size(current) == current.stat().st_size
    assert all(fsynced.size(path) == path.stat().st_size for path in segments(tmp_path))


def test_always_shares_one_fsync_among_concurrent_puts(
    tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    real = os.fsync

    def slow_fsync(fd: int) -> None:
        calls.append(fd)
        time.sleep(0.01)  # a disk that takes 10 ms per fsync: waiting puts pile up behind it
        real(fd)

    monkeypatch.setattr(os, "fsync", slow_fsync)
    spool = open_spool(tmp_path, FakeKafka(), spools, fsync="always", segment_bytes=MiB)
    threads = [threading.Thread(target=lambda: [spool.put(b"k", b"v") for _ in range(50)]) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) < 400  # fewer fsyncs than puts: group commit
    wait_until(lambda: spool.depth == 0)


def test_interval_fsyncs_on_its_timer(tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch) -> None:
    """The power-loss bound of ``interval``: what was put before the last tick of the timer is durable."""
    fsynced = FsyncLog(monkeypatch)
    spool = open_spool(tmp_path, FakeKafka(auto_ack=False), spools, fsync="interval", fsync_interval=0.05)
    for value in values(20, size=30):
        spool.put(b"k", value)
    current = segments(tmp_path)[-1]
    wait_until(lambda: fsynced.size(current) == current.stat().st_size)


def test_never_leaves_fsync_to_the_os_until_stop(
    tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch
) -> None:
    fsynced = FsyncLog(monkeypatch)
    spool = open_spool(tmp_path, FakeKafka(auto_ack=False), spools, fsync="never", segment_bytes=MiB)
    for value in values(20, size=30):
        spool.put(b"k", value)
    time.sleep(0.3)  # several housekeeping ticks
    current = segments(tmp_path)[-1]
    assert fsynced.size(current) == 0
    spool.stop(0)
    assert fsynced.size(current) == current.stat().st_size  # a graceful stop fsyncs


# -- bounds -----------------------------------------------------------------------------------


def test_a_full_spool_refuses_then_waits_then_resumes(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools, max_bytes=MiB, segment_bytes=256 * 1024)
    big = 64 * 1024
    accepted = 0
    while spool.put(b"k", values(1, start=accepted, size=big)[0], timeout=0):
        accepted += 1
    assert accepted == 15  # 16 x (64 KiB + header) is just over 1 MiB
    assert spool.bytes <= MiB
    assert not spool.put(b"k", b"x" * big, timeout=0.05)

    result: list[bool] = []
    blocked = threading.Thread(target=lambda: result.append(spool.put(b"k", values(1, accepted, big)[0])))
    blocked.start()
    wait_until(lambda: len(kafka.records) == accepted)
    assert result == []  # still waiting for room
    kafka.ack(0)
    blocked.join(timeout=20)
    assert result == [True]
    kafka.ack(*range(1, accepted))
    wait_until(lambda: len(kafka.records) == accepted + 1)
    kafka.ack(accepted)
    assert (spool.depth, spool.bytes) == (0, 0)
    assert [int(v[:6]) for v in kafka.values] == list(range(accepted + 1))


def test_stop_releases_a_blocked_put_and_refuses_new_ones(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools, max_bytes=MiB)
    while spool.put(b"k", b"x" * 100_000, timeout=0):
        pass
    result: list[bool] = []
    blocked = threading.Thread(target=lambda: result.append(spool.put(b"k", b"y" * 100_000)))
    blocked.start()
    time.sleep(0.05)
    spool.stop(0)
    blocked.join(timeout=20)
    assert result == [False]
    assert not spool.put(b"k", b"z")


def test_an_oversized_record_fits_an_empty_spool(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools, max_bytes=MiB)
    assert spool.put(b"k", b"x" * (2 * MiB), timeout=0)  # never blocks forever
    wait_until(lambda: spool.depth == 0)
    assert kafka.values == [b"x" * (2 * MiB)]


# -- recovery ---------------------------------------------------------------------------------


def spool_with_unacked(directory: Path, spools: list[Spool], n: int) -> list[bytes]:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(directory, kafka, spools, segment_bytes=64 * 1024)
    expected = values(n, size=40)
    for value in expected:
        spool.put(b"k", value)
    spool.stop(0)
    return expected


@pytest.mark.parametrize(
    "tail",
    [
        encode_record(b"k", b"torn")[:7],  # killed inside the header
        encode_record(b"k", b"torn" * 100)[:-3],  # killed inside the body
        bytes(4096),  # the zeros a power cut leaves after the metadata grew
        encode_record(b"k", b"torn")[:-1] + b"!",  # a CRC mismatch
    ],
    ids=["header", "body", "zeros", "crc"],
)
def test_a_torn_tail_is_dropped_and_counted(tmp_path: Path, spools: list[Spool], tail: bytes) -> None:
    expected = spool_with_unacked(tmp_path, spools, 10)
    last = segments(tmp_path)[-1]
    size = last.stat().st_size
    with last.open("ab") as out:
        out.write(tail)
    replay = FakeKafka(auto_ack=False)
    again = open_spool(tmp_path, replay, spools)
    assert (again.dropped_torn, again.depth) == (1, 10)
    assert last.stat().st_size == size  # truncated back to the last whole record
    wait_until(lambda: len(replay.records) == 10)
    assert replay.values == expected


def test_corruption_inside_a_segment_keeps_what_comes_before(tmp_path: Path, spools: list[Spool]) -> None:
    expected = spool_with_unacked(tmp_path, spools, 10)
    last = segments(tmp_path)[-1]
    data = bytearray(last.read_bytes())
    record = len(encode_record(b"k", expected[0]))
    data[5 * record + HEADER.size + 2] ^= 0xFF  # a byte of the sixth record's key/value
    last.write_bytes(bytes(data))
    replay = FakeKafka()
    again = open_spool(tmp_path, replay, spools)
    assert again.dropped_torn == 1
    wait_until(lambda: again.depth == 0)
    assert replay.values == expected[:5]


def test_a_missing_checkpoint_replays_every_segment(tmp_path: Path, spools: list[Spool]) -> None:
    expected = spool_with_unacked(tmp_path, spools, 50)
    (tmp_path / "checkpoint.json").unlink(missing_ok=True)
    replay = FakeKafka()
    again = open_spool(tmp_path, replay, spools)
    wait_until(lambda: again.depth == 0)
    assert replay.values == expected


def test_leftover_acknowledged_segments_are_removed_at_start(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools)
    for value in values(100, size=200):
        spool.put(b"k", value)
    wait_until(lambda: spool.depth == 0)
    spool.stop(5)
    # a crash between saving the checkpoint and deleting: an old segment is still there
    segment_path(tmp_path, 0).write_bytes(encode_record(b"k", b"old"))
    replay = FakeKafka()
    again = open_spool(tmp_path, replay, spools)
    assert again.depth == 0
    assert not segment_path(tmp_path, 0).exists()
    assert again.put(b"k", b"new")
    wait_until(lambda: again.depth == 0)
    assert replay.values == [b"new"]


def test_a_corrupt_checkpoint_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "checkpoint.json").write_text("{nope")
    with pytest.raises(SpoolError, match="corrupt"):
        Spool(tmp_path, SpoolSettings(), FakeKafka().publish).start()
    (tmp_path / "checkpoint.json").unlink()  # moved away as the message says: the directory is usable again
    spool = Spool(tmp_path, SpoolSettings(), FakeKafka().publish)
    spool.start()
    spool.stop(0)


def test_one_owner_per_directory(tmp_path: Path, spools: list[Spool]) -> None:
    open_spool(tmp_path, FakeKafka(), spools)
    with pytest.raises(SpoolError, match="in use"):
        Spool(tmp_path, SpoolSettings(), FakeKafka().publish).start()


def test_a_closing_publisher_stops_the_drain_and_keeps_the_records(tmp_path: Path, spools: list[Spool]) -> None:
    def closed(key: bytes, value: bytes, on_ack: OnAck | None) -> None:
        raise PublisherClosed("publisher is closing")

    spool = Spool(tmp_path, SpoolSettings(), closed)
    spool.start()
    spools.append(spool)
    assert spool.put(b"k", b"kept")
    spool.stop(0.2)
    replay = FakeKafka()
    again = open_spool(tmp_path, replay, spools)
    wait_until(lambda: again.depth == 0)
    assert replay.values == [b"kept"]
    assert os.listdir(tmp_path)


def test_a_checkpoint_into_a_missing_segment_skips_nothing_new(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    spool = open_spool(tmp_path, kafka, spools)
    for value in values(5, size=30):
        spool.put(b"k", value)
    wait_until(lambda: spool.depth == 0)
    spool.stop(5)
    for path in segments(tmp_path):  # the checkpoint now points into a segment that is gone
        path.unlink()
    again = open_spool(tmp_path, FakeKafka(auto_ack=False), spools)
    fresh = values(3, start=100, size=30)
    for value in fresh:
        again.put(b"k", value)
    again.stop(0)
    replay = FakeKafka(auto_ack=False)
    open_spool(tmp_path, replay, spools)
    wait_until(lambda: len(replay.records) == 3)
    assert replay.values == fresh


def test_a_failed_write_is_rolled_back_and_the_spool_goes_on(
    tmp_path: Path, spools: list[Spool], monkeypatch: pytest.MonkeyPatch
) -> None:
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools)
    assert spool.put(b"k", b"before")
    real = os.write

    def disk_full(fd: int, data: bytes) -> int:
        real(fd, bytes(data)[:5])  # part of the record reached the file, then the disk was full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "write", disk_full)
    with pytest.raises(SpoolWriteError) as failure:
        spool.put(b"k", b"lost")
    assert failure.value.retriable
    monkeypatch.setattr(os, "write", real)
    assert spool.put(b"k", b"after")
    wait_until(lambda: len(kafka.records) == 2)
    assert kafka.values == [b"before", b"after"]
    assert spool.depth == 2
    spool.stop(0)
    replay = FakeKafka(auto_ack=False)
    again = open_spool(tmp_path, replay, spools)
    wait_until(lambda: len(replay.records) == 2)
    assert (replay.values, again.dropped_torn) == ([b"before", b"after"], 0)


def test_writers_against_a_full_spool_with_acks_in_any_order(tmp_path: Path, spools: list[Spool]) -> None:
    """8 writers (single puts and batches) keep a 1 MiB spool full while another thread acknowledges
    in shuffled chunks, as a Kafka poll thread would: everything arrives, in each writer's order."""
    kafka = FakeKafka(auto_ack=False)
    spool = open_spool(tmp_path, kafka, spools, max_bytes=MiB, segment_bytes=64 * 1024, fsync="always")
    writers, per_writer, pad = 8, 1200, b"." * 500
    done = threading.Event()

    def write(w: int) -> None:
        key = f"w{w}".encode()
        items = [f"{w}:{i}:".encode() + pad for i in range(per_writer)]
        if w % 2:
            for item in items:
                assert spool.put(key, item)
        else:
            for start in range(0, per_writer, 40):
                assert spool.put_many([(key, item) for item in items[start : start + 40]])

    def acknowledge() -> None:
        rng = random.Random(4)
        acked = 0
        while not (done.is_set() and acked == len(kafka.pending)):
            upto = len(kafka.pending)
            chunk = list(range(acked, upto))
            rng.shuffle(chunk)
            kafka.ack(*chunk)
            acked = upto
            time.sleep(0.001)

    acker = threading.Thread(target=acknowledge)
    acker.start()
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wait_until(lambda: len(kafka.records) == writers * per_writer)
    done.set()
    acker.join()
    assert (spool.depth, spool.bytes) == (0, 0)
    for w in range(writers):
        mine = [value.split(b":")[1] for key, value in kafka.records if key == f"w{w}".encode()]
        assert mine == [str(i).encode() for i in range(per_writer)]


def test_a_graceful_stop_waits_for_kafka_and_leaves_nothing_to_replay(tmp_path: Path, spools: list[Spool]) -> None:
    kafka = FakeKafka()
    kafka.gate.clear()  # Kafka is slow: nothing is published until the stop has begun
    spool = open_spool(tmp_path, kafka, spools)
    expected = values(500, size=50)
    for value in expected:
        spool.put(b"k", value)
    threading.Timer(0.2, kafka.gate.set).start()
    spool.stop(30)
    assert (spool.depth, spool.bytes) == (0, 0)
    assert kafka.values == expected
    replay = FakeKafka()
    again = open_spool(tmp_path, replay, spools)
    assert again.depth == 0
    assert len(segments(tmp_path)) == 1  # the new, empty one; the acknowledged ones are gone


def test_stop_while_writers_put_keeps_every_record_whose_put_returned(tmp_path: Path, spools: list[Spool]) -> None:
    spool = open_spool(tmp_path, FakeKafka(auto_ack=False), spools, segment_bytes=16 * 1024)
    returned: dict[int, int] = {}

    def write(w: int) -> None:
        i = 0
        while spool.put(f"w{w}".encode(), f"{w}:{i}".encode()):
            i += 1
        returned[w] = i

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    wait_until(lambda: spool.depth > 2000)
    spool.stop(0)
    for thread in threads:
        thread.join()
    replay = FakeKafka(auto_ack=False)
    again = open_spool(tmp_path, replay, spools)
    assert again.depth == sum(returned.values())
    wait_until(lambda: len(replay.records) == again.depth)
    for w in range(4):
        mine = [value for key, value in replay.records if key == f"w{w}".encode()]
        assert mine == [f"{w}:{i}".encode() for i in range(returned[w])]

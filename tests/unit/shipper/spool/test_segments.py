"""The spool's on-disk record format and segment scanning: pure functions over bytes and files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grokpipe.atomic import atomic_write as write_atomically
from grokpipe.shipper.spool.segments import (
    HEADER,
    READ_CHUNK,
    check_records,
    decode_records,
    encode_record,
    list_segments,
    read_records,
    scan_segment,
    segment_path,
)


@pytest.mark.parametrize(
    ("key", "value"),
    [(b"", b""), (b"host/app", b"hello"), (b"k", bytes(range(256)) * 100), (b"\x00" * 3, b"\n\r\x00")],
)
def test_records_round_trip(key: bytes, value: bytes) -> None:
    data = encode_record(key, value) + encode_record(b"next", b"one")
    records, used, corrupt = decode_records(data, 100, verify=True)
    assert [(r.key, r.value) for r in records] == [(key, value), (b"next", b"one")]
    assert (used, corrupt) == (len(data), False)
    assert records[0].end == 100 + HEADER.size + len(key) + len(value)


GOOD = encode_record(b"k", b"value")


@pytest.mark.parametrize(
    ("tail", "corrupt"),
    [
        (GOOD[:5], False),  # half a header: incomplete, not corrupt
        (GOOD[:-1], False),  # header and part of the body
        (bytes(len(GOOD)), True),  # a zero-filled tail (power cut): the CRC of zeros is not zero
        (GOOD[:-1] + b"X", True),  # one flipped byte
        (b"\xff" * 12, True),  # absurd lengths
    ],
)
def test_decode_stops_at_a_bad_tail(tail: bytes, corrupt: bool) -> None:
    records, used, is_corrupt = decode_records(GOOD + tail, 0, verify=True)
    assert [r.value for r in records] == [b"value"]
    assert (used, is_corrupt) == (len(GOOD), corrupt)
    assert check_records(GOOD + tail) == (1, len(GOOD), corrupt)


def test_read_records_takes_a_record_larger_than_a_chunk(tmp_path: Path) -> None:
    big = encode_record(b"k", b"x" * (READ_CHUNK + 10))
    path = tmp_path / "s.seg"
    path.write_bytes(GOOD + big + GOOD)
    assert scan_segment(path, 0).records == 3
    fd = os.open(path, os.O_RDONLY)
    try:
        offset, values = 0, []
        while offset < len(GOOD + big + GOOD):
            records, offset, corrupt = read_records(fd, offset, len(GOOD + big + GOOD), verify=True)
            assert records
            assert not corrupt
            values += [r.value for r in records]
    finally:
        os.close(fd)
    assert values == [b"value", b"x" * (READ_CHUNK + 10), b"value"]


@pytest.mark.parametrize(
    ("tail", "records", "dropped"),
    [
        (b"", 3, 0),
        (GOOD[:7], 3, 7),
        (bytes(4096), 3, 4096),
        (GOOD[:-1] + b"X" + GOOD, 3, 2 * len(GOOD)),  # everything after a corrupt record goes
    ],
    ids=["whole", "torn", "zeros", "corrupt"],
)
def test_scan_cuts_a_bad_tail(tmp_path: Path, tail: bytes, records: int, dropped: int) -> None:
    path = segment_path(tmp_path, 7)
    path.write_bytes(GOOD * 3 + tail)
    scan = scan_segment(path, 0)
    assert (scan.records, scan.bytes, scan.end, scan.dropped) == (records, 3 * len(GOOD), 3 * len(GOOD), dropped)
    assert path.stat().st_size == 3 * len(GOOD)
    assert scan_segment(path, len(GOOD)).records == 2  # from a checkpoint inside the segment
    assert list_segments(tmp_path) == [7]


def test_write_atomically_leaves_no_temp_file(tmp_path: Path) -> None:
    write_atomically(tmp_path / "checkpoint.json", b"{}")
    write_atomically(tmp_path / "checkpoint.json", b'{"segment": 1}')
    assert (tmp_path / "checkpoint.json").read_bytes() == b'{"segment": 1}'
    assert sorted(p.name for p in tmp_path.iterdir()) == ["checkpoint.json"]

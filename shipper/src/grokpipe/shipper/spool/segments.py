"""The spool's on-disk format: CRC-checked records in append-only segment files.

A record is ``crc32c(u32) | key length(u32) | value length(u32) | key | value`` (little endian; the
CRC covers the two lengths, the key and the value). A record torn by a crash, or the zero-filled tail a
power cut can leave after the file's size was updated, fails its CRC or is short, so recovery can cut
the segment at the last whole record. Segments are named by a consecutive number,
``00000000000000000000.seg``; the writer (``writer.py``) rolls them, the drain reads them, the
checkpoint deletes them.
"""

from __future__ import annotations

import os
import struct
from pathlib import Path
from typing import NamedTuple

import crc32c

MiB = 1024 * 1024
HEADER = struct.Struct("<III")  # crc32c of what follows it, key length, value length
CRC = struct.Struct("<I")
LENGTHS = struct.Struct("<II")
MAX_RECORD = 512 * MiB  # a longer length read back is corruption, not a record
READ_CHUNK = MiB  # what the drain and the recovery read at once
SUFFIX = ".seg"


class Record(NamedTuple):
    key: bytes
    value: bytes
    end: int  #: offset just past the record in its segment
    size: int  #: header + key + value


class Scan(NamedTuple):
    records: int  #: whole records from the scan's start
    bytes: int  #: bytes they span
    end: int  #: offset after the last whole record: the segment's size now
    dropped: int  #: bytes of a torn or corrupt tail cut off (0 when the segment was whole)


def encode_record(key: bytes, value: bytes) -> bytes:
    body = LENGTHS.pack(len(key), len(value)) + key + value
    return CRC.pack(crc32c.crc32c(body)) + body


def decode_records(buf: bytes, base: int, verify: bool) -> tuple[list[Record], int, bool]:
    """The complete records at the start of ``buf`` (read at file offset ``base``).

    Returns the records, the bytes they span, and whether decoding stopped at a corrupt record (bad
    CRC or absurd length) rather than at the end of the buffer or of a partial record."""
    records: list[Record] = []
    view = memoryview(buf)
    pos, size_of_buf, head = 0, len(buf), HEADER.size
    while size_of_buf - pos >= head:
        crc, klen, vlen = HEADER.unpack_from(buf, pos)
        if klen + vlen > MAX_RECORD:
            return records, pos, True
        size = head + klen + vlen
        if size_of_buf - pos < size:
            break
        if verify and crc32c.crc32c(view[pos + 4 : pos + size]) != crc:
            return records, pos, True
        k = pos + head
        records.append(Record(buf[k : k + klen], buf[k + klen : pos + size], base + pos + size, size))
        pos += size
    return records, pos, False


def check_records(buf: bytes) -> tuple[int, int, bool]:
    """``decode_records(buf, 0, verify=True)`` without building the records, for recovery's scan:
    (count, bytes they span, corrupt)."""
    view = memoryview(buf)
    count = pos = 0
    size_of_buf, head, unpack, crc32 = len(buf), HEADER.size, HEADER.unpack_from, crc32c.crc32c
    while size_of_buf - pos >= head:
        crc, klen, vlen = unpack(buf, pos)
        if klen + vlen > MAX_RECORD:
            return count, pos, True
        size = head + klen + vlen
        if size_of_buf - pos < size:
            break
        if crc32(view[pos + 4 : pos + size]) != crc:
            return count, pos, True
        count += 1
        pos += size
    return count, pos, False


def read_records(fd: int, offset: int, limit: int, verify: bool) -> tuple[list[Record], int, bool]:
    """Records of one segment from ``offset`` up to ``limit``, about a chunk at a time.

    Returns the records, the offset after them and whether a corrupt record stopped the read. No
    records and no corruption with ``offset < limit`` means the bytes up to ``limit`` end mid-record."""
    buf = os.pread(fd, min(limit - offset, READ_CHUNK), offset)
    records, used, corrupt = decode_records(buf, offset, verify)
    if not records and not corrupt and len(buf) >= HEADER.size:
        _, klen, vlen = HEADER.unpack_from(buf)
        size = HEADER.size + klen + vlen  # one record larger than a chunk
        if offset + size <= limit:
            records, used, corrupt = decode_records(os.pread(fd, size, offset), offset, verify)
    return records, offset + used, corrupt


def segment_path(directory: Path, segment: int) -> Path:
    return directory / f"{segment:020d}{SUFFIX}"


def list_segments(directory: Path) -> list[int]:
    return sorted(int(p.stem) for p in directory.glob(f"*{SUFFIX}") if p.stem.isdigit())


def scan_segment(path: Path, offset: int) -> Scan:
    """Check every record from ``offset`` (a record boundary) and cut a torn or corrupt tail off the
    file (fsynced), so appends and reads after it see whole records only."""
    fd = os.open(path, os.O_RDWR | os.O_CLOEXEC)
    try:
        file_size = os.fstat(fd).st_size
        start = pos = min(offset, file_size)
        count = 0
        while pos < file_size:
            buf = os.pread(fd, min(file_size - pos, READ_CHUNK), pos)
            found, used, corrupt = check_records(buf)
            if not found and not corrupt and len(buf) >= HEADER.size:  # one record larger than a chunk
                _, klen, vlen = HEADER.unpack_from(buf)
                if pos + HEADER.size + klen + vlen <= file_size:
                    found, used, corrupt = check_records(os.pread(fd, HEADER.size + klen + vlen, pos))
            count += found
            pos += used
            if corrupt or not found:
                break
        if pos < file_size:
            os.ftruncate(fd, pos)
            os.fsync(fd)
        return Scan(count, pos - start, pos, file_size - pos)
    finally:
        os.close(fd)


def create_segment(path: Path) -> int:
    """A new, empty segment open for appending (never an existing file: that would be a bug)."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND | os.O_CLOEXEC, 0o644)

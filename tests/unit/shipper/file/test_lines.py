from __future__ import annotations

import pytest

from grokpipe.shipper.file.lines import LineSplitter, RawLine, decode


def split_all(chunks: list[bytes], max_bytes: int = 100, offset: int = 0) -> list[RawLine]:
    splitter = LineSplitter(offset, max_bytes)
    out: list[RawLine] = []
    for chunk in chunks:
        out.extend(splitter.feed(chunk))
    return out


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        ([b"a\nbb\n"], [(0, 2, b"a", False), (2, 5, b"bb", False)]),
        ([b"a", b"b\nc", b"\n"], [(0, 3, b"ab", False), (3, 5, b"c", False)]),
        ([b"crlf\r\n", b"x\r", b"\n"], [(0, 6, b"crlf", False), (6, 9, b"x", False)]),
        ([b"\n\n"], [(0, 1, b"", False), (1, 2, b"", False)]),
        ([b"0123456789ABC\nok\n"], [(0, 14, b"0123456789", True), (14, 17, b"ok", False)]),
        ([b"01234", b"56789AB", b"CDEF", b"\nok\n"], [(0, 17, b"0123456789", True), (17, 20, b"ok", False)]),
        ([b"no newline yet"], []),
    ],
)
def test_split(chunks: list[bytes], expected: list[tuple[int, int, bytes, bool]]) -> None:
    got = [(x.offset, x.end, x.data, x.truncated) for x in split_all(chunks, max_bytes=10)]
    assert got == expected


def test_offsets_continue_from_start_offset() -> None:
    lines = split_all([b"x\ny\n"], offset=1000)
    assert [(x.offset, x.end) for x in lines] == [(1000, 1002), (1002, 1004)]


def test_flush_returns_partial_line_once() -> None:
    splitter = LineSplitter(0, 100)
    assert splitter.feed(b"done\npartial") == [RawLine(0, 5, b"done")]
    assert splitter.pending_offset == 5
    flushed = splitter.flush()
    assert flushed == RawLine(5, 12, b"partial")
    assert splitter.flush() is None


def test_memory_stays_bounded_for_endless_line() -> None:
    splitter = LineSplitter(0, 16)
    for _ in range(1000):
        assert splitter.feed(b"z" * 1000) == []
    assert len(splitter._partial) <= 16
    (line,) = splitter.feed(b"\n")
    assert line == RawLine(0, 1_000_001, b"z" * 16, True)


def test_truncation_never_splits_a_utf8_character() -> None:
    text = "é" * 10  # 2 bytes each
    (line,) = split_all([text.encode() + b"\n"], max_bytes=7)
    assert line.truncated
    assert line.data == "é".encode() * 3
    assert decode(line.data) == ("ééé", False)


@pytest.mark.parametrize(
    ("raw", "text", "invalid"),
    [
        (b"plain", "plain", False),
        ("日本語".encode(), "日本語", False),
        (b"bad \xff\xfe byte", "bad \ufffd\ufffd byte", True),
        (b"cut \xe6\x97", "cut \ufffd", True),
    ],
)
def test_decode(raw: bytes, text: str, invalid: bool) -> None:
    assert decode(raw) == (text, invalid)

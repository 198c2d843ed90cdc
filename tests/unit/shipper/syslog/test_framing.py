"""RFC 6587 framing: both framings, any chunking, oversize and garbage input."""

from __future__ import annotations

import random

import pytest

from grokpipe.shipper.syslog.framing import Frame, FrameDecoder


def decode(stream: bytes, max_size: int = 64, chunk: int | None = None, seed: int = 0) -> list[Frame]:
    decoder = FrameDecoder(max_size)
    frames: list[Frame] = []
    rng = random.Random(seed)
    pos = 0
    while pos < len(stream):
        size = chunk or rng.randint(1, 17)
        frames += decoder.feed(stream[pos : pos + size])
        pos += size
    return frames + decoder.finish()


CASES = [
    ("lf", b"<13>a\n<13>b\n", [(b"<13>a", False), (b"<13>b", False)]),
    ("crlf", b"<13>a\r\n<13>b\r\n", [(b"<13>a", False), (b"<13>b", False)]),
    ("nul", b"<13>a\x00<13>b\x00", [(b"<13>a", False), (b"<13>b", False)]),
    ("no final delimiter", b"<13>a\n<13>b", [(b"<13>a", False), (b"<13>b", False)]),
    ("empty lines skipped", b"\n\n<13>a\n\n", [(b"<13>a", False)]),
    ("octet counted", b"5 <13>a6 <13>bc", [(b"<13>a", False), (b"<13>bc", False)]),
    ("octet counted with LF inside", b"9 <13>a\nb c", [(b"<13>a\nb c", False)]),
    ("octet counted trailing LF stripped", b"6 <13>a\n", [(b"<13>a", False)]),
    ("lf oversize", b"<13>" + b"x" * 100 + b"\n<13>b\n", [(b"<13>" + b"x" * 60, True), (b"<13>b", False)]),
    ("octet oversize", b"104 <13>" + b"x" * 100 + b"5 <13>b", [(b"<13>" + b"x" * 60, True), (b"<13>b", False)]),
    (
        "garbage length falls back to lines",
        b"12345678901234 junk\n<13>b\n",
        [(b"12345678901234 junk", False), (b"<13>b", False)],
    ),
]


@pytest.mark.parametrize(("name", "stream", "expected"), CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("chunk", [None, 1, 1000])
def test_frames_do_not_depend_on_chunking(
    name: str, stream: bytes, expected: list[tuple[bytes, bool]], chunk: int | None
) -> None:
    for seed in range(5 if chunk is None else 1):
        frames = decode(stream, chunk=chunk, seed=seed)
        assert [(f.data, f.truncated) for f in frames] == expected


def test_memory_stays_bounded_for_an_endless_line() -> None:
    decoder = FrameDecoder(1000)
    frames = []
    for _ in range(1000):
        frames += decoder.feed(b"y" * 997)
        assert decoder.buffered <= 2000
    frames += decoder.feed(b"\n<13>next\n")
    assert [(len(f.data), f.truncated) for f in frames] == [(1000, True), (8, False)]


def test_random_bytes_never_raise() -> None:
    rng = random.Random(1234)
    for _ in range(2000):
        stream = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
        for frame in decode(stream, max_size=50, seed=rng.randrange(1000)):
            assert len(frame.data) <= 50

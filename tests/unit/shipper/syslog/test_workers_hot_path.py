"""The per-message hot path gives the same events as the general one: the RFC 5424 fast path of
the parser against its general grammar, and the framing fast path against byte-at-a-time feeding."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest

from grokpipe.shipper.syslog.framing import FrameDecoder
from grokpipe.shipper.syslog.parser import SyslogParser

NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)
STAMPS = [
    "2026-11-23T06:00:00Z",
    "2026-11-23T06:00:00.1Z",
    "2026-11-23T06:00:00.123Z",
    "2026-11-23T06:00:00.1234Z",
    "2026-11-23T06:00:00.123456Z",
    "2026-11-23T06:00:00.123456789Z",
    "2026-02-30T06:00:00Z",  # no such day: the general path decides
    "2026-11-23T06:00:00+01:00",
    "-",
]
HEADS = ["<134>1", "<0>1", "<191>1", "<192>1", "<01>1", "<13>12", "<13>0"]
IDENTITIES = [
    "host app 42 -",
    "host app - M1",
    "- - - -",
    "web-1 nginx/abcdef012345 x7 ID47",
    "h docker/web/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef 1 -",
]
TAILS = ["- hello world", "-", "- ", "- \ufeffbom", '[ex@1 k="v"] sd', "-x", "- - dash", ""]


def slow(parser: SyslogParser) -> SyslogParser:
    parser._common_5424 = lambda text: None  # type: ignore[method-assign]
    return parser


@pytest.mark.parametrize("head", HEADS)
def test_fast_path_equals_the_general_grammar(head: str) -> None:
    fast, general = SyslogParser(now=lambda: NOW), slow(SyslogParser(now=lambda: NOW))
    for stamp, identity, tail in itertools.product(STAMPS, IDENTITIES, TAILS):
        frame = f"{head} {stamp} {identity} {tail}".rstrip(" ") if tail else f"{head} {stamp} {identity}"
        for data in (frame.encode(), frame.encode() + b"\xff"):
            assert fast.parse(data) == general.parse(data), data


def test_the_common_frame_takes_the_fast_path() -> None:
    parser = SyslogParser(now=lambda: NOW)
    event = parser._common_5424("<134>1 2026-11-23T06:00:00.123456Z web-1 api 1234 - - request served")
    assert event is not None
    assert event["message"] == "request served"
    assert event["@timestamp"] == "2026-11-23T06:00:00.123Z"
    assert event["log"]["syslog"]["timestamp"] == "2026-11-23T06:00:00.123456Z"
    assert event["process"] == {"name": "api", "pid": 1234}


@pytest.mark.parametrize(
    "stream",
    [
        b"<13>a one\n<13>b two\r\n\n<13>c three\n<13>partial",
        b"<13>nul\x00<13>newline\n<13>after\x00\n",
        b"<13>" + b"x" * 100 + b"\n<13>short\n" + b"y" * 300 + b"\n<13>end\n",
    ],
)
def test_framing_in_one_read_equals_byte_by_byte(stream: bytes) -> None:
    whole, single = FrameDecoder(64), FrameDecoder(64)
    at_once = whole.feed(stream) + whole.finish()
    one_by_one = [f for i in range(len(stream)) for f in single.feed(stream[i : i + 1])] + single.finish()
    assert at_once == one_by_one

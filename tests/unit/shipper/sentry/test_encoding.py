from __future__ import annotations

import base64
import gzip
import zlib

import brotli
import pytest

from grokpipe.shipper.sentry.encoding import decode, legacy_store_body
from grokpipe.shipper.sentry.errors import Malformed, TooLarge

BODY = b'{"message":"hello"}' * 50


def raw_deflate(data: bytes) -> bytes:
    compressor = zlib.compressobj(wbits=-zlib.MAX_WBITS)
    return compressor.compress(data) + compressor.flush()


@pytest.mark.parametrize(
    ("encoded", "coding"),
    [
        (BODY, None),
        (BODY, "identity"),
        (gzip.compress(BODY), "gzip"),
        (gzip.compress(BODY), "x-gzip"),
        (zlib.compress(BODY), "deflate"),
        (raw_deflate(BODY), "deflate"),
        (brotli.compress(BODY), "br"),
        (brotli.compress(gzip.compress(BODY)), "gzip, br"),
    ],
    ids=["none", "identity", "gzip", "x-gzip", "zlib", "raw-deflate", "br", "gzip-br"],  # gzip writes a time
)
def test_decode(encoded: bytes, coding: str | None) -> None:
    assert decode(encoded, coding, 10_000) == BODY


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br"])
def test_a_bomb_stops_at_the_limit(coding: str) -> None:
    big = b"\0" * 5_000_000
    encoded = {"gzip": gzip.compress, "deflate": zlib.compress, "br": lambda b: brotli.compress(b, quality=1)}[coding](
        big
    )
    with pytest.raises(TooLarge):
        decode(encoded, coding, 1_000_000)


@pytest.mark.parametrize(
    ("encoded", "coding"),
    [(b"not gzip", "gzip"), (gzip.compress(BODY)[:-10], "gzip"), (brotli.compress(BODY)[:-3], "br"), (BODY, "zstd")],
    ids=["not-gzip", "cut-gzip", "cut-br", "zstd"],
)
def test_malformed(encoded: bytes, coding: str) -> None:
    with pytest.raises(Malformed):
        decode(encoded, coding, 10_000)


def test_plain_body_over_the_limit() -> None:
    with pytest.raises(TooLarge):
        decode(BODY, None, 10)


@pytest.mark.parametrize("body", [BODY, zlib.compress(BODY), base64.b64encode(zlib.compress(BODY))])
def test_legacy_store_body(body: bytes) -> None:
    assert legacy_store_body(body, 10_000) == BODY


def test_legacy_store_garbage() -> None:
    with pytest.raises(Malformed):
        legacy_store_body(b"%%%", 10_000)

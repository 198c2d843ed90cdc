"""Request bodies as SDKs compress them: ``Content-Encoding`` gzip, deflate (zlib, and raw deflate
as some clients send it) and br (brotli), with the decompressed size bounded so a small bomb cannot
fill memory; and the legacy store's base64 of zlib (raven's older protocol versions).

zstd is not accepted (no SDK sends it by default; Python 3.11 has no zstd in the standard library).
"""

from __future__ import annotations

import base64
import binascii
import zlib

import brotli

from grokpipe.shipper.sentry.errors import Malformed, TooLarge

_CHUNK = 64 * 1024


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = inflater.decompress(data, limit + 1)
    if len(out) > limit:
        raise TooLarge(f"body decompresses to more than {limit} bytes")
    if inflater.unconsumed_tail:
        raise TooLarge(f"body decompresses to more than {limit} bytes")
    if not inflater.eof:
        raise Malformed("truncated compressed body")
    return out


def _brotli(data: bytes, limit: int) -> bytes:
    """Fed in chunks, each call's output capped, so a bomb stops at ``limit``."""
    decompressor = brotli.Decompressor()
    parts: list[bytes] = []
    size = 0
    try:
        for start in range(0, len(data), _CHUNK):
            part = decompressor.process(data[start : start + _CHUNK], output_buffer_limit=_CHUNK)
            while True:  # empty input until this chunk's output is drained
                size += len(part)
                if size > limit:
                    raise TooLarge(f"body decompresses to more than {limit} bytes")
                parts.append(part)
                if not part or decompressor.is_finished():
                    break
                part = decompressor.process(b"", output_buffer_limit=_CHUNK)
    except brotli.error as exc:
        raise Malformed(f"invalid br body: {exc}") from None
    if not decompressor.is_finished():
        raise Malformed("truncated br body")
    return b"".join(parts)


def decode(body: bytes, content_encoding: str | None, limit: int) -> bytes:
    """``body`` decompressed per ``Content-Encoding`` (a list is undone right to left); raises
    Malformed for an unknown encoding or a corrupt body, TooLarge past ``limit`` bytes."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    for coding in reversed(codings):
        try:
            if coding in ("gzip", "x-gzip"):
                body = _inflate(body, 16 + zlib.MAX_WBITS, limit)
            elif coding == "deflate":
                # RFC 9110's deflate is zlib-wrapped; some clients send raw deflate
                raw = not body[:1] or (body[0] & 0x0F) != 8
                body = _inflate(body, -zlib.MAX_WBITS if raw else zlib.MAX_WBITS, limit)
            elif coding == "br":
                body = _brotli(body, limit)
            elif coding != "identity":
                raise Malformed(f"unsupported Content-Encoding {coding!r} (gzip, deflate, br)")
        except zlib.error as exc:
            raise Malformed(f"invalid {coding} body: {exc}") from None
    if len(body) > limit:
        raise TooLarge(f"body is larger than {limit} bytes")
    return body


def legacy_store_body(body: bytes, limit: int) -> bytes:
    """The store endpoint's body as JSON: plain, or (protocols before 7) base64 of zlib, or zlib
    without a Content-Encoding header."""
    head = body.lstrip()[:1]
    if head in (b"{", b""):
        return body
    if head == b"x":  # zlib's first byte (CMF 0x78) is 'x'
        try:
            return _inflate(body, zlib.MAX_WBITS, limit)
        except (Malformed, zlib.error):
            pass
    try:
        decoded = base64.b64decode(body, validate=False)
    except (binascii.Error, ValueError):
        raise Malformed("store body is neither JSON nor base64 of zlib") from None
    try:
        return _inflate(decoded, zlib.MAX_WBITS, limit)
    except zlib.error:
        raise Malformed("store body is neither JSON nor base64 of zlib") from None

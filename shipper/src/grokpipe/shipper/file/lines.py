"""Splitting a byte stream into lines, with offsets, bounded memory and the CRLF/UTF-8 rules.

A partial last line is held back until its newline arrives (or the file is closed and
:meth:`LineSplitter.flush` is called). A line longer than ``max_bytes`` keeps its first
``max_bytes`` bytes and is marked truncated; the rest is skipped without being buffered.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class RawLine:
    offset: int  #: file offset of the line's first byte
    end: int  #: file offset just past the line's newline (where reading resumes)
    data: bytes  #: the line without ``\n`` / ``\r\n``, at most ``max_bytes`` long
    truncated: bool = False


class LineSplitter:
    def __init__(self, offset: int, max_bytes: int) -> None:
        self.position = offset  #: offset just past the last byte fed
        self._max = max_bytes
        self._partial = b""  #: kept bytes of the unfinished line (at most max_bytes)
        self._partial_offset = offset
        self._overflow = False  #: the unfinished line is already longer than max_bytes

    @property
    def pending_offset(self) -> int:
        """Offset of the first byte not yet returned in a line."""
        return self._partial_offset

    @property
    def has_partial(self) -> bool:
        return bool(self._partial) or self._overflow

    def feed(self, chunk: bytes) -> list[RawLine]:
        if not chunk:
            return []
        parts = chunk.split(b"\n")
        rest = parts.pop()
        out: list[RawLine] = []
        offset = self.position
        max_bytes = self._max
        if parts and (self._partial or self._overflow):
            first = parts[0]
            start = self._partial_offset
            end = offset + len(first) + 1
            data = self._partial + first[: max(0, max_bytes - len(self._partial))]
            truncated = self._overflow or len(self._partial) + len(first) > max_bytes
            out.append(_finish(start, end, data, truncated, max_bytes))
            offset = end
            self._partial = b""
            self._overflow = False
            parts = parts[1:]
        for part in parts:
            end = offset + len(part) + 1
            if len(part) > max_bytes:
                out.append(_finish(offset, end, part[:max_bytes], True, max_bytes))
            else:
                if part.endswith(b"\r"):
                    part = part[:-1]  # noqa: PLW2901
                out.append(RawLine(offset, end, part))
            offset = end
        if out:
            self._partial_offset = offset
        if rest:
            room = max_bytes - len(self._partial)
            if len(rest) > room:
                self._overflow = True
                rest = rest[: max(0, room)]
            self._partial += rest
        self.position += len(chunk)
        return out

    def flush(self) -> RawLine | None:
        """The unfinished last line, for a file that will not grow any more."""
        if not self.has_partial:
            return None
        line = _finish(self._partial_offset, self.position, self._partial, self._overflow, self._max)
        self._partial = b""
        self._overflow = False
        self._partial_offset = self.position
        return line


def _finish(offset: int, end: int, data: bytes, truncated: bool, max_bytes: int) -> RawLine:
    if truncated:
        return RawLine(offset, end, _utf8_cut(data[:max_bytes]), True)
    if data.endswith(b"\r"):
        data = data[:-1]
    return RawLine(offset, end, data, False)


def _utf8_cut(data: bytes) -> bytes:
    """Drop a multi-byte character that the truncation cut in half, so it is not 'invalid UTF-8'."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte (or ASCII): is its sequence complete?
            need = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            return data if need <= back else data[:-back]
    return data


def decode(data: bytes) -> tuple[str, bool]:
    """UTF-8 text of a line and whether invalid bytes had to be replaced."""
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace"), True

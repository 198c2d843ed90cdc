"""RFC 6587 framing of a syslog byte stream (TCP, TLS, unix stream sockets).

Senders pick a framing per connection and never mix them: octet counting (``LEN SP MSG``, rsyslog's
``TCP_Framing="octet-counted"``, ``logger --octet-count``) or non-transparent framing (a message ends
at LF; Docker and most senders). A connection that starts with a digit is octet counted: no message
starts with a digit, since every message starts with ``<PRI>``. NUL and CRLF also end a message, as
old senders use them. Memory per connection stays under ``max_size`` plus one read.
"""

from __future__ import annotations

from dataclasses import dataclass

_MAX_LEN_DIGITS = 10  # a length prefix longer than this is garbage, not a frame size


@dataclass(slots=True)  # not frozen: a frozen dataclass's __init__ costs twice as much, per message
class Frame:
    data: bytes  # one message, without the length prefix or the trailing delimiter
    truncated: bool  # longer than max_size and cut to its first max_size bytes


class FrameDecoder:
    """Frames of one connection; any chunking of the byte stream gives the same frames."""

    def __init__(self, max_size: int) -> None:
        self._max = max_size
        self._buf = bytearray()
        self._octets: bool | None = None  # None until the first byte decides
        self._skip = 0  # bytes still to discard from an oversize octet-counted frame
        self._discarding = False  # an oversize non-transparent frame: discard up to its delimiter

    @property
    def buffered(self) -> int:
        return len(self._buf)

    def feed(self, data: bytes) -> list[Frame]:
        frames: list[Frame] = []
        if self._skip:
            cut = min(self._skip, len(data))
            self._skip -= cut
            data = data[cut:]
        if not data:
            return frames
        self._buf += data
        if self._octets is None:
            self._octets = self._buf[:1].isdigit()
        if self._octets:
            self._octet_frames(frames)
        if not self._octets:
            self._line_frames(frames)
        return frames

    def finish(self) -> list[Frame]:
        """At end of stream: a last message without its delimiter (or an incomplete counted one)."""
        frames: list[Frame] = []
        data = bytes(self._buf).rstrip(b"\r\n\x00")
        self._buf.clear()
        if data and not self._discarding:
            if self._octets:  # a counted frame cut short by the sender: keep what came
                _, _, data = data.partition(b" ")
            if data:
                frames.append(Frame(data[: self._max], len(data) > self._max))
        return frames

    def _octet_frames(self, frames: list[Frame]) -> None:
        buf = self._buf
        while buf:
            space = buf.find(b" ", 0, _MAX_LEN_DIGITS + 1)
            if space < 0:
                if len(buf) > _MAX_LEN_DIGITS or not buf.isdigit():
                    self._octets = False  # not a length: read the rest of the stream as lines
                return
            prefix = bytes(buf[:space])
            if not prefix.isdigit():
                self._octets = False
                return
            length = int(prefix)
            start = space + 1
            if length > self._max:
                if len(buf) - start < self._max:
                    return  # the kept part is not complete yet
                frames.append(Frame(bytes(buf[start : start + self._max]), True))
                available = len(buf) - start
                if available >= length:
                    del buf[: start + length]
                    continue
                self._skip = length - available
                buf.clear()
                return
            if len(buf) - start < length:
                return
            frames.append(Frame(bytes(buf[start : start + length]).rstrip(b"\r\n"), False))
            del buf[: start + length]

    def _line_frames(self, frames: list[Frame]) -> None:
        buf = self._buf
        if not self._discarding and b"\x00" not in buf:
            self._split_lines(frames)
            return
        start = 0
        size = len(buf)
        while start < size:
            end = _next_delimiter(buf, start)
            if end < 0:
                break
            if self._discarding:
                self._discarding = False
            else:
                line = bytes(buf[start:end])
                if line.endswith(b"\r"):
                    line = line[:-1]
                if line:
                    frames.append(Frame(line[: self._max], len(line) > self._max))
            start = end + 1
        del buf[:start]
        self._cut_oversize(frames)

    def _split_lines(self, frames: list[Frame]) -> None:
        """The common case (no NUL delimiter, not discarding): one ``split`` for the whole buffer."""
        buf = self._buf
        end = buf.rfind(b"\n")
        if end >= 0:
            limit = self._max
            append = frames.append
            for raw in bytes(buf[:end]).split(b"\n"):
                line = raw[:-1] if raw.endswith(b"\r") else raw
                if line:
                    append(Frame(line[:limit], True) if len(line) > limit else Frame(line, False))
            del buf[: end + 1]
        self._cut_oversize(frames)

    def _cut_oversize(self, frames: list[Frame]) -> None:
        buf = self._buf
        if len(buf) > self._max:
            if not self._discarding:
                frames.append(Frame(bytes(buf[: self._max]), True))
                self._discarding = True
            buf.clear()


def _next_delimiter(buf: bytearray, start: int) -> int:
    newline = buf.find(b"\n", start)
    nul = buf.find(b"\x00", start, newline if newline >= 0 else len(buf))
    return nul if nul >= 0 else newline


__all__ = ["Frame", "FrameDecoder"]

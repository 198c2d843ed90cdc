"""The envelope format as Sentry documents it: items with and without length, EOF, unknown types."""

from __future__ import annotations

import pytest

from grokpipe.shipper.sentry.envelope import parse
from grokpipe.shipper.sentry.errors import Malformed, TooLarge

HEADER = (
    b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","dsn":"https://e12d836b15bb49d7bbf99e64295d995b@sentry.io/42"}'
)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # the documented examples: two items with lengths, an attachment then an event
        (
            HEADER + b'\n{"type":"attachment","length":10,"content_type":"text/plain","filename":"hello.txt"}\n'
            b'\xef\xbb\xbfHello\r\n\n{"type":"event","length":41,"content_type":"application/json"}\n'
            b'{"message":"hello world","level":"error"}\n',
            [("attachment", b"\xef\xbb\xbfHello\r\n"), ("event", b'{"message":"hello world","level":"error"}')],
        ),
        # no trailing newline after the last payload
        (
            HEADER + b'\n{"type":"event","length":2}\n{}',
            [("event", b"{}")],
        ),
        # implicit lengths: each payload ends at a newline, the last one at EOF
        (
            HEADER + b'\n{"type":"event"}\n{"message":"a"}\n{"type":"log"}\n{"items":[]}',
            [("event", b'{"message":"a"}'), ("log", b'{"items":[]}')],
        ),
        # a payload containing newlines needs its length
        (
            HEADER + b'\n{"type":"attachment","length":5}\na\nb\nc\n{"type":"event"}\n{}\n',
            [("attachment", b"a\nb\nc"), ("event", b"{}")],
        ),
        # an empty payload, with and without length; an item header at EOF
        (
            HEADER + b'\n{"type":"attachment","length":0}\n\n{"type":"attachment"}\n\n{"type":"session"}',
            [("attachment", b""), ("attachment", b""), ("session", b"")],
        ),
        # header only, with and without its newline
        (HEADER, []),
        (HEADER + b"\n", []),
        # unknown item types are kept as bytes: the caller skips them and reads on
        (
            HEADER + b'\n{"type":"fancy_new_thing","length":3}\n\x00\x01\x02\n{"type":"event"}\n{}\n',
            [("fancy_new_thing", b"\x00\x01\x02"), ("event", b"{}")],
        ),
    ],
)
def test_items(body: bytes, expected: list[tuple[str, bytes]]) -> None:
    envelope = parse(body)
    assert [(item.type, item.payload) for item in envelope.items] == expected
    assert envelope.event_id == "9ec79c33ec9942ab8353589fcb2e04dc"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "missing envelope header"),
        (b"\n{}", "missing envelope header"),
        (b"not json\n", "invalid envelope header"),
        (b"[1]\n", "invalid envelope header"),
        (b'{}\n{"length":2}\n{}', "without a type"),
        (b'{}\n{"type":"event","length":50}\n{}', "past the end"),
        (b'{}\n{"type":"event","length":-1}\n{}', "non-negative"),
        (b'{}\n{"type":"event","length":1}\n{}', "missing newline"),
        (b"{}\n{oops\n{}", "invalid item header"),
    ],
)
def test_malformed(body: bytes, reason: str) -> None:
    with pytest.raises(Malformed, match=reason):
        parse(body)


def test_too_many_items() -> None:
    body = b"{}\n" + b'{"type":"event"}\n{}\n' * 3
    assert len(parse(body, max_items=3).items) == 3
    with pytest.raises(TooLarge):
        parse(body, max_items=2)

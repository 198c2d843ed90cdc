"""A syslog message near Kafka's record limit is cut to it and tagged like a file line: the same
rule (``Publisher.encode``) for every input."""

from __future__ import annotations

import socket
from collections.abc import Callable

import orjson
from support.kafka import consume

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.shipper.recordfit import OVERHEAD
from grokpipe.shipper.service import Shipper

StartShipper = Callable[..., Shipper]


def test_a_message_over_the_record_limit_arrives_cut_and_tagged(
    start_shipper: StartShipper, stack: EmbeddedStack, topic: str
) -> None:
    p = free_port()
    start_shipper([f"tcp://127.0.0.1:{p}"], max_message_bytes=2_000_000)
    text = "z" * 1_050_000  # within max_message_bytes, over the record limit (twice: message and original)
    with socket.create_connection(("127.0.0.1", p)) as conn:
        conn.sendall(b"<13>Nov 23 06:00:00 h app: " + text.encode() + b"\n")
        conn.sendall(b"<13>Nov 23 06:00:00 h app: the next one\n")
    events = consume(stack.kafka_bootstrap, topic, expect=2, timeout=60)
    big, small = sorted(events, key=lambda e: len(e["message"]), reverse=True)
    assert big["tags"] == ["truncated"]
    assert text.startswith(big["message"])
    assert big["event"]["original"].startswith("<13>Nov 23 06:00:00 h app: zzz")
    assert len(orjson.dumps(big)) <= 1_000_000 - OVERHEAD
    assert small["message"] == "the next one"
    assert "tags" not in small

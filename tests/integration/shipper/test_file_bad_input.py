"""Bad input reaches Kafka marked, never dropped: invalid UTF-8, over-long lines, CRLF, and the
unfinished last line of a file that was deleted."""

from __future__ import annotations

from pathlib import Path

from support.kafka import consume
from support.shipper import settings, wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.shipper.service import Shipper


def test_bad_lines_are_marked_not_dropped(stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "app.log").write_bytes(
        b"first line\r\n"
        b"caf\xe9 au lait \xff\n"
        + b"x" * 500 + b"\n"
        + "naïve ünïcode ✓\n".encode()
    )  # fmt: skip
    (logs / "gone.log").write_bytes(b"complete line\nunfinished last line")
    inputs = [
        {
            "type": "file",
            "id": "bad",
            "paths": [str(logs / "*.log")],
            "max_line_bytes": 100,
            "scan_frequency": 0.1,
            "close_timeout": 0.3,
            "tags": ["from-test"],
            "labels": {"team": "php"},
        }
    ]
    shipper = Shipper(settings(stack, topic, data_dir, inputs))
    shipper.start()
    try:
        assert wait_for(lambda: shipper.publisher.acked >= 5)
        (logs / "gone.log").unlink()  # rotated away: its unfinished line is sent after close_timeout
        assert wait_for(lambda: shipper.publisher.acked >= 6)
    finally:
        shipper.stop()

    events = {e["message"]: e for e in consume(stack.kafka_bootstrap, topic, expect=6)}
    assert set(events) == {
        "first line",
        "caf\ufffd au lait \ufffd",
        "x" * 100,
        "naïve ünïcode ✓",
        "complete line",
        "unfinished last line",
    }
    assert events["first line"]["tags"] == ["from-test"]
    assert events["caf\ufffd au lait \ufffd"]["tags"] == ["from-test", "invalid_utf8"]
    assert events["x" * 100]["tags"] == ["from-test", "truncated"]
    assert events["naïve ünïcode ✓"]["labels"] == {"team": "php"}
    assert events["first line"]["log"]["offset"] == 0
    assert events["caf\ufffd au lait \ufffd"]["log"]["offset"] == len(b"first line\r\n")
    assert all(e["input"]["type"] == "file" and e["event"]["dataset"] == "generic" for e in events.values())

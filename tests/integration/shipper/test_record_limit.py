"""Lines near Kafka's record limit leave the shipper cut and tagged, and a record Kafka refuses for
good is dead-lettered: its source moves on, ``/healthz`` says degraded, nothing loops."""

from __future__ import annotations

import threading
from pathlib import Path

import orjson
from support.kafka import consume
from support.shipper import settings, wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.shipper.deadletter import FILE_NAME
from grokpipe.shipper.recordfit import OVERHEAD
from grokpipe.shipper.service import Shipper

BIG = [
    "a" * 1_000_000,  # just over what librdkafka sends by default, once wrapped
    "b" * 1_040_000,
    "\x01" * 200_000,  # 1.2 MB once JSON-escaped
    '"' * 600_000,  # 1.2 MB once JSON-escaped
]


def test_lines_near_the_record_limit_arrive_cut_and_tagged(
    stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    lines = ["before", *BIG, "after"]
    body = "".join(line + "\n" for line in lines).encode()
    (logs / "big.log").write_bytes(body)
    inputs = [{"type": "file", "id": "big", "paths": [str(logs / "*.log")], "scan_frequency": 0.1}]
    shipper = Shipper(settings(stack, topic, data_dir, inputs))
    shipper.start()
    try:
        assert shipper.publisher.record_limit == 1_000_000  # librdkafka's; the topic states 1,048,588
        assert wait_for(lambda: shipper.publisher.acked >= len(lines), timeout=60)
        assert shipper.health()["status"] == "ok"
    finally:
        shipper.stop()
    registry = orjson.loads((data_dir / "registry-big.json").read_bytes())
    assert registry["files"][0]["offset"] == len(body)  # the file is done: nothing waits
    events = consume(stack.kafka_bootstrap, topic, expect=len(lines), timeout=60)
    by_first = {e["message"][:1] if len(e["message"]) > 10 else e["message"]: e for e in events}
    assert len(events) == len(lines)
    assert "tags" not in by_first["before"]
    assert "tags" not in by_first["after"]
    for line in BIG:
        event = by_first[line[:1]]
        assert event["tags"] == ["truncated"]
        assert line.startswith(event["message"])
        assert len(orjson.dumps(event)) <= 1_000_000 - OVERHEAD
    assert shipper.metrics.registry.get_sample_value("grokpipe_shipper_lines_truncated_total", {"input": "big"}) == 4


def test_a_record_kafka_refuses_for_good_is_dead_lettered_not_retried(
    stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path
) -> None:
    """Records that bypass the encoding (as a future input could): an oversized event is cut to half
    and goes through; an oversized value that is no event goes to the dead letter and is acknowledged."""
    (tmp_path / "logs").mkdir()
    inputs = [{"type": "file", "id": "none", "paths": [str(tmp_path / "logs" / "*.log")]}]
    shipper = Shipper(settings(stack, topic, data_dir, inputs))
    shipper.start()
    acked: list[str] = []
    done = threading.Event()

    def ack(name: str) -> None:
        acked.append(name)
        if len(acked) == 2:
            done.set()

    try:
        event = {"message": "e" * 1_100_000, "event": {"id": "too-big", "dataset": "generic"}}
        shipper.publisher.publish(b"k", orjson.dumps(event), lambda: ack("event"))
        shipper.publisher.publish(b"k", b"\xff" * 1_100_000, lambda: ack("garbage"))
        assert done.wait(60)
        health = shipper.health()
        assert health["status"] == "degraded"
        assert health["kafka"]["dead_lettered"]["count"] == 1
        assert shipper.publisher.in_flight == 0
    finally:
        shipper.stop()
    assert sorted(acked) == ["event", "garbage"]
    [line] = (data_dir / FILE_NAME).read_bytes().splitlines()
    kept = orjson.loads(line)
    assert kept["reason"].startswith("MSG_SIZE_TOO_LARGE")
    assert kept["size"] == 1_100_000
    [delivered] = consume(stack.kafka_bootstrap, topic, expect=1)
    assert delivered["event"]["id"] == "too-big"
    assert delivered["tags"] == ["truncated"]
    assert 500_000 <= len(delivered["message"]) < 1_100_000 // 2
    reasons = {"reason": "MSG_SIZE_TOO_LARGE"}
    assert shipper.metrics.registry.get_sample_value("grokpipe_shipper_events_dead_lettered_total", reasons) == 1

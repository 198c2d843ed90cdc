"""kill -9 the shipper again and again while it tails 200k lines: every line reaches Kafka,
and a line sent twice carries the same event.id both times."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest
from support.kafka import consume, new_topic
from support.shipper import ShipperProcess, write_config

from grokpipe.embedded import EmbeddedStack

PREWRITTEN = 100_000
APPENDED = 100_000


def lines(name: str, start: int, count: int) -> list[str]:
    return [f"{name} {i:07d} GET /item/{i % 977} HTTP/1.1 200 {i % 5000}" for i in range(start, start + count)]


@pytest.mark.slow
def test_kill_9_during_200k_lines_loses_nothing(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    logs = tmp_path / "logs"
    logs.mkdir()
    expected = lines("pre", 0, PREWRITTEN)
    (logs / "pre.log").write_text("\n".join(expected) + "\n")
    inputs = [{"type": "file", "id": "crash", "paths": [str(logs / "*.log")], "scan_frequency": 0.2}]
    config = write_config(tmp_path / "shipper.yml", stack, topic, data_dir, inputs)
    shipper = ShipperProcess(config, tmp_path / "shipper.log")

    appended = lines("live", 0, APPENDED)

    def writer() -> None:
        with (logs / "live.log").open("a") as out:
            for start in range(0, APPENDED, 1000):
                out.write("\n".join(appended[start : start + 1000]) + "\n")
                out.flush()
                time.sleep(0.05)

    rng = random.Random(7)
    thread = threading.Thread(target=writer)
    shipper.start()
    thread.start()
    kills = 0
    for _ in range(4):
        time.sleep(rng.uniform(1.5, 3.0))
        shipper.kill()
        kills += 1
        shipper.start()
    thread.join()
    expected += appended

    events = consume(stack.kafka_bootstrap, topic, expect=len(expected), timeout=240, idle=5)
    assert shipper.stop() == 0
    by_id: dict[str, str] = {}
    for event in events:
        assert by_id.setdefault(event["event"]["id"], event["message"]) == event["message"]
    assert kills == 4
    assert set(by_id.values()) == set(expected)
    assert len(by_id) == len(expected)

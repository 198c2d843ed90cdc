"""A file renamed out of the globs while the shipper is down (kill -9) is finished from its
acknowledged offset at the next start, and a file that appears while it runs is read without
waiting for the next periodic scan."""

from __future__ import annotations

from pathlib import Path

import orjson
from support.kafka import consume, new_topic
from support.shipper import ShipperProcess, wait_for, write_config

from grokpipe.embedded import EmbeddedStack


def lines(name: str, start: int, count: int) -> list[str]:
    return [f"{name} {i:06d} GET /item/{i % 977} HTTP/1.1 200 {i % 5000}" for i in range(start, start + count)]


def acked_offset(data_dir: Path, path: Path) -> int:
    try:
        doc = orjson.loads((data_dir / "registry-rename.json").read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return -1
    return max((f["offset"] for f in doc["files"] if f["path"] == str(path)), default=-1)


def test_a_file_renamed_out_of_the_glob_while_down_is_finished(
    stack: EmbeddedStack, data_dir: Path, tmp_path: Path
) -> None:
    topic = new_topic(stack.kafka_bootstrap)
    logs = tmp_path / "logs"
    logs.mkdir()
    access = logs / "access.log"
    before, tail, fresh = lines("before", 0, 1_000), lines("tail", 0, 13_334), lines("fresh", 0, 100)
    access.write_text("\n".join(before) + "\n")
    # a long scan_frequency: a new file must be found by its directory's change, not by a periodic scan
    inputs = [{"type": "file", "id": "rename", "paths": [str(logs / "*.log")], "scan_frequency": 600}]
    shipper = ShipperProcess(write_config(tmp_path / "shipper.yml", stack, topic, data_dir, inputs), tmp_path / "log")
    shipper.start()
    try:
        size = access.stat().st_size
        assert wait_for(lambda: acked_offset(data_dir, access) == size, timeout=60)
        shipper.kill()
        with access.open("a") as out:  # written while the shipper is down, then rotated away
            out.write("\n".join(tail) + "\n")
        access.rename(logs / "access.log.1")
        access.write_text("\n".join(fresh[:50]) + "\n")
        shipper.start()
        assert wait_for(lambda: acked_offset(data_dir, access) > 0, timeout=60)
        (logs / "later.log").write_text("\n".join(fresh[50:]) + "\n")  # found without a periodic scan
        expected = {*before, *tail, *fresh}
        events = consume(stack.kafka_bootstrap, topic, expect=len(expected), timeout=60)
    finally:
        assert shipper.stop() == 0
    messages = [e["message"] for e in events]
    assert set(messages) == expected
    paths = {e["message"]: e["log"]["file"]["path"] for e in events}
    assert paths[tail[-1]] == str(logs / "access.log.1")
    assert paths[fresh[-1]] == str(logs / "later.log")

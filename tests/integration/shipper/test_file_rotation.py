"""Lines written across rename and copytruncate rotations all reach Kafka, each id once."""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from pathlib import Path

from support.kafka import consume
from support.shipper import settings, wait_for

from grokpipe.embedded import EmbeddedStack
from grokpipe.shipper.service import Shipper

FAST = {"scan_frequency": 0.1, "close_timeout": 0.5}


def append(path: Path, lines: list[str]) -> None:
    with path.open("a") as out:
        out.writelines(line + "\n" for line in lines)


def quiet(shipper: Shipper, seconds: float = 2.0) -> Callable[[], bool]:
    """True once nothing was published for ``seconds``."""
    last = [-1.0, time.monotonic()]

    def check() -> bool:
        value = shipper.metrics.published._value.get()
        if value != last[0]:
            last[:] = [value, time.monotonic()]
        return time.monotonic() - last[1] >= seconds

    return check


def test_rename_and_copytruncate_rotation_lose_nothing(
    stack: EmbeddedStack, topic: str, data_dir: Path, tmp_path: Path
) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    inputs = [
        # rename rotation; rotated names stay inside the glob
        {"type": "file", "id": "renamed-in-glob", "paths": [str(logs / "a.log*")], **FAST},
        # rename rotation; rotated names leave the glob (read to the end from the open file)
        {"type": "file", "id": "renamed-away", "paths": [str(logs / "b.log")], **FAST},
        # copytruncate; the copy is inside the glob
        {"type": "file", "id": "copied", "paths": [str(logs / "c.log*")], "rotation": "copytruncate", **FAST},
    ]
    shipper = Shipper(settings(stack, topic, data_dir, inputs))
    shipper.start()
    expected: list[str] = []

    def write(name: str, start: int, count: int) -> None:
        lines = [f"{name} line {i} {'x' * (i % 50)}" for i in range(start, start + count)]
        append(logs / name, lines)
        expected.extend(lines)

    try:
        # The files exist before the shipper's first scan, as log files do before a rotation.
        for name in ("a.log", "b.log", "c.log"):
            write(name, -1, 1)
        assert wait_for(lambda: shipper.metrics.published._value.get() >= 3)
        b_read = shipper.metrics.lines_read.labels(input="renamed-away")
        for rnd in range(3):
            base = rnd * 3000
            for name in ("a.log", "b.log", "c.log"):
                write(name, base, 2000)
            # rename rotation while the shipper is (probably) mid-file
            (logs / "a.log").rename(logs / f"a.log.{rnd + 1}")
            (logs / "b.log").rename(logs / f"b.log.old{rnd}")
            # copytruncate as logrotate does it: shift older copies, copy, then truncate in place
            if (logs / "c.log.1").exists():
                (logs / "c.log.1").rename(logs / f"c.log.{rnd + 1}")
            shutil.copyfile(logs / "c.log", logs / "c.log.1")
            with (logs / "c.log").open("r+") as f:
                f.truncate(0)
            for name in ("a.log", "b.log", "c.log"):
                write(name, base + 2000, 1000)
            # A file renamed out of the globs before any scan saw it cannot be read by any tailer:
            # let the new b.log be found before the next round renames it away.
            b_lines = sum(1 for line in expected if line.startswith("b.log"))
            assert wait_for(lambda b_lines=b_lines: b_read._value.get() >= b_lines, timeout=60)
        # Copies are read twice (same ids), so the count of published records only bounds from below.
        assert wait_for(lambda: shipper.metrics.published._value.get() >= len(expected), timeout=60)
        assert wait_for(quiet(shipper), timeout=60)
    finally:
        shipper.stop()

    events = consume(stack.kafka_bootstrap, topic, expect=len(expected))
    messages = {e["message"] for e in events}
    ids = {e["event"]["id"] for e in events}
    assert messages == set(expected)
    assert len(ids) == len(expected)
    by_id: dict[str, str] = {}
    for event in events:  # a re-read line (the copytruncate copy) carries the same id
        assert by_id.setdefault(event["event"]["id"], event["message"]) == event["message"]

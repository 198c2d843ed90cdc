"""Shipper start-up: import time, time to a healthy ``/healthz``, and how long until a file is read
(the first scan at start, and a file created while it runs).

Run with ``make bench BENCH=startup`` (or ``python bench/startup.py --runs 5``). Each run starts
``grokpipe shipper`` as a process against an embedded server, with one file in its glob before the
start and one created 2 s after the first scan, and measures from the process start to the log lines that say
so ("shipper started", "harvesting file"). Medians of the runs. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import orjson  # noqa: E402
import yaml  # noqa: E402

from grokpipe.embedded import EmbeddedStack, free_port  # noqa: E402
from grokpipe.kafka_admin import ensure_topic  # noqa: E402
from grokpipe.settings import KafkaSettings  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402


def import_seconds() -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import grokpipe.shipper.main"], check=True, cwd=tempfile.gettempdir())
    return time.perf_counter() - started


def seen(log: Path, message: str, path: str | None = None) -> bool:
    for raw in log.read_bytes().splitlines():
        if raw.startswith(b"{"):
            line = orjson.loads(raw)
            if line.get("message") == message and (path is None or line.get("log.file.path") == path):
                return True
    return False


def healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1) as resp:
            return bool(resp.status == 200)
    except OSError:
        return False


def one_run(stack: EmbeddedStack, topic: str, workdir: Path) -> dict[str, float]:
    logs = workdir / "logs"
    logs.mkdir(parents=True)
    (logs / "before.log").write_text("a line written before the start\n")
    port = free_port()
    config = workdir / "shipper.yml"
    config.write_text(
        yaml.safe_dump(
            {
                "data_dir": str(workdir / "data"),
                "kafka": {"bootstrap_servers": [stack.kafka_bootstrap], "topic": topic},
                "http": {"listen": f"127.0.0.1:{port}"},
                "inputs": [{"type": "file", "id": "bench", "paths": [str(logs / "*.log")]}],
            }
        )
    )
    log = workdir / "shipper.log"
    marks: dict[str, float] = {}
    with log.open("ab") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "grokpipe.cli", "shipper", "-c", str(config)],
            stdout=out,
            stderr=out,
            cwd=tempfile.gettempdir(),
        )
    created, created_at = False, 0.0
    try:
        while len(marks) < 4 and time.perf_counter() - started < 60:
            now = time.perf_counter() - started
            if "healthz" not in marks and healthy(port):
                marks["healthz"] = now
            if "started" not in marks and seen(log, "shipper started"):
                marks["started"] = now
            if "first scan" not in marks and seen(log, "harvesting file", str(logs / "before.log")):
                marks["first scan"] = now
            if not created and "first scan" in marks and now >= marks["first scan"] + 2.0:
                (logs / "new.log").write_text("a line written while it runs\n")
                created, created_at = True, now
            if created and "new file" not in marks and seen(log, "harvesting file", str(logs / "new.log")):
                marks["new file"] = now - created_at
            time.sleep(0.02)
    finally:
        proc.terminate()
        proc.wait(60)
    return marks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, EmbeddedStack(Path(tmp) / "noida") as stack:
        topic = "bench-startup"
        ensure_topic(KafkaSettings(bootstrap_servers=[stack.kafka_bootstrap]), topic)
        imports = [import_seconds() for _ in range(args.runs)]
        runs = [one_run(stack, topic, Path(tmp) / f"run{i}") for i in range(args.runs)]
    rows: list[list[object]] = [["import grokpipe.shipper.main", f"{statistics.median(imports):.3f}"]]
    for mark, what in (
        ("healthz", "start -> /healthz answers"),
        ("started", "start -> 'shipper started'"),
        ("first scan", "start -> a file present at start is harvested"),
        ("new file", "file created -> harvested"),
    ):
        values = [run[mark] for run in runs if mark in run]
        rows.append([what, f"{statistics.median(values):.3f}" if values else "not seen"])
    print(table(["what (median of runs)", "seconds"], rows))


if __name__ == "__main__":
    main()

"""Hostile events through the indexer's steps: the seconds one event takes, pipeline and scrubbing.

Run with ``make bench BENCH=hostile`` (or ``python bench/hostile.py``). The events are the shapes seen
stalling the indexer (issue 25): 900 KB ``token=a&...`` lines, a 1 MiB nginx error line, 50 KB Python
and Java messages, long traces. Each goes through ``documents.build`` with the shipped pipelines and
the default scrubber, three times; the table shows the slowest run and the tags (the bounds it hit).
Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import os
import random
import sys
import time

_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import orjson  # noqa: E402

from grokpipe.indexer.config import ScrubSettings  # noqa: E402
from grokpipe.indexer.documents import build  # noqa: E402
from grokpipe.indexer.pipeline import Router  # noqa: E402
from grokpipe.indexer.scrub import Scrubber  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402

WORDS = ("foo", "bar", "10.0.0.1:80", "0x7f3a", "12", "3.5", "a=b", '"q"', "user@x.org", "2026-11-22", "/p/x.php:12")
NGINX = '2026/11/22 08:15:08 [error] 1234#0: *1 FastCGI sent in stderr: "PHP message: '
PY_LOG = "2026-11-22 08:15:08,123 ERROR app.views: "
JAVA_LOG = "2026-11-22 08:15:08.123 ERROR [main] com.x.App - boom\njava.lang.RuntimeException: "


def words(rng: random.Random, size: int) -> str:
    out: list[str] = []
    total = 0
    while total < size:
        out.append(rng.choice(WORDS))
        total += len(out[-1]) + 1
    return " ".join(out)


def cases() -> list[tuple[str, str, str]]:
    rng = random.Random(1)
    py_frames = "".join(f'  File "/app/pkg/mod{i}.py", line {i}, in func_{i}\n    call_{i}(a, b)\n' for i in range(600))
    java_frames = "".join(f"\tat com.example.pkg.Class{i}.method{i}(Class{i}.java:{i})\n" for i in range(900))
    return [
        ("900 KB token=a&... (nginx.access)", "nginx.access", "token=a&" * 112_500),
        ("900 KB token=a&... (no pipeline)", "generic", "token=a&" * 112_500),
        ("1 MiB nginx error, words", "nginx.error", NGINX + words(rng, 1 << 20)),
        ("1 MiB nginx error, 1 1 1 ...", "nginx.error", NGINX + "1 " * (1 << 19)),
        ("50 KB Python log message", "python.traceback", PY_LOG + words(rng, 50_000)),
        ("50 KB Python log, 1 1 1 ...", "python.traceback", PY_LOG + "1 " * 25_000),
        ("Python traceback, 600 frames", "python.traceback", "Traceback (most recent call last):\n" + py_frames),
        ("50 KB Java message", "java.stacktrace", JAVA_LOG + words(rng, 50_000) + "\n" + java_frames[:2000]),
        ("50 KB Java trace, 900 frames", "java.stacktrace", JAVA_LOG + "x\n" + java_frames[:50_000]),
    ]


def main() -> None:
    router, scrubber = Router.load(), Scrubber(ScrubSettings())
    rows: list[list[object]] = []
    for name, dataset, message in cases():
        raw = orjson.dumps({"message": message, "event": {"id": "x", "dataset": dataset}})
        slowest = 0.0
        tags: list[str] = []
        for _ in range(3):
            started = time.perf_counter()
            doc = build(raw, "bench", 0, 0, router=router, namespace="default", scrubber=scrubber)
            slowest = max(slowest, time.perf_counter() - started)
            tags = doc.source.get("tags", [])
        rows.append([name, f"{len(raw) / 1024:,.0f}", f"{slowest:.3f}", ",".join(tags)])
    print(table(["event", "KiB", "seconds (slowest of 3)", "tags"], rows))


if __name__ == "__main__":
    main()

"""Every step bounds its work per event: the hostile events seen in the field come out tagged with
the bound they hit, their secrets masked, and ordinary events pass untouched by the bounds."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from grokpipe.indexer.config import ScrubSettings
from grokpipe.indexer.documents import build
from grokpipe.indexer.fields import Event
from grokpipe.indexer.masking import MASK_CHARS, mask
from grokpipe.indexer.pipeline import TAG_PIPELINE_LIMIT, Pipeline, Router
from grokpipe.indexer.processors import Step
from grokpipe.indexer.scrub import MASK, MAX_MASKS, Scrubber

ROUTER = Router.load()
NGINX_HEAD = '2026/11/22 08:15:08 [error] 1234#0: *1 FastCGI sent in stderr: "PHP message: '
PY_FRAMES = "".join(f'  File "/a{i}.py", line {i}, in f\n    g()\n' for i in range(600))  # 1,200 lines, 26 KB
JAVA_FRAMES = "".join(f"\tat com.example.pkg.Class{i}.method{i}(Class{i}.java:{i})\n" for i in range(1200))


def document(dataset: str, message: str) -> Event:
    raw = orjson.dumps({"message": message, "event": {"id": "x", "dataset": dataset}})
    doc = build(raw, "t", 0, 0, router=ROUTER, namespace="default", scrubber=Scrubber(ScrubSettings()))
    return doc.source


@pytest.mark.parametrize(
    ("name", "dataset", "message", "tags"),
    [
        ("900 KB token=a&... query", "nginx.access", "token=a&" * 112_500, {"_groklimit", "_scrublimit"}),
        ("900 KB token=a&... line", "generic", "token=a&" * 112_500, {"_scrublimit"}),
        ("1 MiB nginx error line", "nginx.error", NGINX_HEAD + "1 " * (1 << 19), {"_groklimit", "_groupinglimit"}),
        (
            "50 KB Python log line",
            "python.traceback",
            "2026-11-22 08:15:08,123 ERROR app.views: " + "1 " * 25_000,
            {"_groupinglimit"},
        ),
        (
            "Python traceback of 1,200 lines",
            "python.traceback",
            "Traceback (most recent call last):\n" + PY_FRAMES + "ValueError: bad\n",
            {"_groupinglimit"},
        ),
        (
            "50 KB Java message",
            "java.stacktrace",
            "2026-11-22 08:15:08.123 ERROR [main] com.x.App - boom\njava.lang.RuntimeException: "
            + "1 " * 25_000
            + "\n"
            + JAVA_FRAMES[:2000],
            {"_groupinglimit"},
        ),
    ],
)
def test_hostile_events_are_tagged_with_their_bound(name: str, dataset: str, message: str, tags: set[str]) -> None:
    source = document(dataset, message)
    assert tags <= set(source.get("tags", ())), name
    assert TAG_PIPELINE_LIMIT not in source.get("tags", ()), name  # each step's own bound sufficed


def test_a_string_past_the_mask_limit_keeps_no_secret() -> None:
    line = "token=a&" * (MAX_MASKS + 10) + "password=hunter2"
    source = document("generic", line)
    assert "hunter2" not in source["message"]
    assert "token=a" not in source["message"]
    assert source["message"].startswith(f"token={MASK}&")
    assert source["message"].count(f"token={MASK}") == MAX_MASKS
    assert source["message"].endswith(MASK)


@pytest.mark.parametrize(
    ("dataset", "message"),
    [
        ("nginx.error", NGINX_HEAD + 'PHP Fatal error:  boom in /srv/a.php on line 3" while reading, client: 10.0.0.1'),
        ("python.traceback", "Traceback (most recent call last):\n" + PY_FRAMES[:4000] + "ValueError: bad\n"),
        ("generic", "token=a&" * 100),
    ],
)
def test_ordinary_events_hit_no_bound(dataset: str, message: str) -> None:
    tags = set(document(dataset, message).get("tags", ()))
    assert not tags & {"_groklimit", "_groupinglimit", "_scrublimit", TAG_PIPELINE_LIMIT}


def test_masking_reads_the_first_mask_chars_only() -> None:
    head = "connect to 10.0.0.3:5432 timed out after 3000ms "
    assert mask(head + "x" * MASK_CHARS * 100) == mask((head + "x" * MASK_CHARS)[:MASK_CHARS])


class _Slow(Step):
    name = "slow"

    def __init__(self, seconds: float) -> None:
        self.guarded = False
        self.seconds = seconds
        self.calls = 0

    def __call__(self, event: Event) -> None:
        import time

        self.calls += 1
        time.sleep(self.seconds)


def test_the_event_budget_skips_the_steps_after_it() -> None:
    first, second = _Slow(0.02), _Slow(0)
    event: dict[str, Any] = {"message": "x"}
    Pipeline("p", [first, second], budget=0.01)(event)
    assert event["tags"] == [TAG_PIPELINE_LIMIT]
    assert (first.calls, second.calls) == (1, 0)

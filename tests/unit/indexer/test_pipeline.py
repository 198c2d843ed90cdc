"""Pipeline files: steps compile once; a bad file fails at start naming the file, the step and why."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grokpipe.indexer.errors import PipelineError
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY, Router
from grokpipe.indexer.processors import STEPS


def library(tmp_path: Path, pipeline: object) -> Path:
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "p").write_text("WORD \\b\\w+\\b\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "x.yml").write_text(yaml.safe_dump(pipeline))
    (tmp_path / "routing.yml").write_text("datasets: {x.app: x}\n")
    return tmp_path


def test_shipped_library_routes_every_dataset() -> None:
    router = Router.load()
    assert set(router.datasets) >= {
        "nginx.access", "nginx.error", "apache.access", "apache.error", "php.error", "syslog", "docker",
        "gunicorn.access", "python.traceback", "java.stacktrace",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("pipeline", "fragment"),
    [
        ({"steps": [{"frobnicate": {}}]}, "steps[0]: unknown step 'frobnicate'"),
        ({"steps": [{"grok": {"patterns": ["%{NOPE}"]}}]}, "steps[0] (grok): unknown grok pattern"),
        (
            {"steps": [{"tag": {"tags": ["a"]}}, {"grok": {"patern": ["x"]}}]},
            "steps[1] (grok): unknown option(s) patern",
        ),
        ({"steps": [{"convert": {"a": "int128"}}]}, "unknown type 'int128'"),
        ({"steps": [{"date": {}, "tag": {}}]}, "one key"),
        ({"step": []}, "expected a mapping with a 'steps' list"),
        ({"steps": [{"tag": {"tags": ["a"], "when": {"exists": 5}}}]}, "steps[0] (tag): 5 is not a field path"),
    ],
)
def test_bad_pipelines_fail_with_the_step(tmp_path: Path, pipeline: object, fragment: str) -> None:
    with pytest.raises(PipelineError) as raised:
        Router.load(library(tmp_path, pipeline))
    assert fragment in str(raised.value)
    assert "x.yml" in str(raised.value)


def test_routing_to_a_missing_pipeline_fails(tmp_path: Path) -> None:
    root = library(tmp_path, {"steps": []})
    (root / "routing.yml").write_text("datasets: {x.app: nowhere}\n")
    with pytest.raises(PipelineError, match="missing"):
        Router.load(root)


def test_steps_in_order_with_conditions(tmp_path: Path) -> None:
    root = library(
        tmp_path,
        {
            "steps": [
                {"grok": {"patterns": ["^%{WORD:a} %{WORD:b}$"]}},
                {"rename": {"a": "x.first"}},
                {"set": {"x.kind": "pair"}},
                {"tag": {"tags": ["bee"], "when": {"equals": {"b": "bee"}}}},
                {"remove": {"fields": ["b"]}},
                {"convert": {"n": "long"}},
                {"lowercase": {"fields": ["x.first"]}},
            ]
        },
    )
    router = Router.load(root)
    assert router({"message": "Hello bee", "n": "7", "event": {"dataset": "x.app"}}) == {
        "message": "Hello bee",
        "n": 7,
        "event": {"dataset": "x.app"},
        "x": {"first": "hello", "kind": "pair"},
        "tags": ["bee"],
    }
    unknown = {"message": "Hello bee", "event": {"dataset": "other"}}
    assert router(dict(unknown)) == unknown  # no pipeline: only the envelope


def test_only_steps_with_a_when_are_checked(tmp_path: Path) -> None:
    steps = [{"tag": {"tags": ["a"]}}, {"tag": {"tags": ["b"], "when": {"missing": "x"}}}, {"tag": {"when": {}}}]
    router = Router.load(library(tmp_path, {"steps": steps}))
    pipeline = router.pipeline_for("x.app")
    assert pipeline is not None
    assert [step.guarded for step in pipeline.steps] == [False, True, False]
    assert router({"event": {"dataset": "x.app"}})["tags"] == ["a", "b"]
    assert router({"event": {"dataset": "x.app"}, "x": 1})["tags"] == ["a"]


def test_every_step_type_is_used_by_a_shipped_pipeline_or_tested() -> None:
    text = "\n".join(p.read_text() for p in (DEFAULT_LIBRARY / "pipelines").glob("*.yml"))
    unused = {name for name in STEPS if f"- {name}:" not in text}
    # fingerprint (a user's override of the computed key) is tested in test_grouping_key.py, scale below
    assert unused <= {"copy", "set", "remove", "tag", "lowercase", "convert", "rename", "fingerprint", "scale"}


def test_scale_moves_a_number_into_another_unit() -> None:
    step = STEPS["scale"]({"field": "event.duration_us", "factor": 1000, "target": "event.duration"}, None)  # type: ignore[arg-type]
    event: dict[str, Any] = {"event": {"duration_us": "15320"}}
    step(event)
    assert event == {"event": {"duration": 15_320_000}}

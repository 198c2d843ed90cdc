"""Pipeline files and routing.yml are typed: a bad one fails at load naming the file, the step index,
the step type and the key; every file shipped in grok_patterns/ validates."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.options import STEP_OPTIONS, GrokOptions
from grokpipe.indexer.pipeline import DEFAULT_LIBRARY, Router, load_file
from grokpipe.indexer.pipelinefile import STEP_KINDS, InvalidLibraryFile, PipelineFile, Problem, RoutingFile, read
from grokpipe.indexer.processors import STEPS, Context, Grok


def library(tmp_path: Path, steps: object, routing: str = "datasets: {x.app: x}\n") -> Path:
    (tmp_path / "patterns").mkdir()
    (tmp_path / "patterns" / "p").write_text("WORD \\b\\w+\\b\n")
    (tmp_path / "pipelines").mkdir()
    (tmp_path / "pipelines" / "x.yml").write_text(yaml.safe_dump({"steps": steps}))
    (tmp_path / "routing.yml").write_text(routing)
    return tmp_path


def problems_of(root: Path) -> list[Problem]:
    with pytest.raises(InvalidLibraryFile) as raised:
        Router.load(root)
    return list(raised.value.problems)


#: (steps, [(step index, step type, key, a fragment of the reason)])
BAD_STEPS: list[tuple[list[Any], list[tuple[int | None, str | None, str | None, str]]]] = [
    ([{"tag": {}}, {"date": {"feild": "ts"}}], [(1, "date", "feild", "unknown option(s) feild")]),
    ([{"scale": {"factor": 1000}}], [(0, "scale", "field", "field: Field required")]),
    ([{"scale": {"field": "a", "factor": "fast"}}], [(0, "scale", "factor", "factor: Input should be a valid number")]),
    ([{"map": {"values": {}}}], [(0, "map", "field", "Field required")]),
    ([{"ip": {}}], [(0, "ip", "field", "Field required")]),
    ([{"date": {"formats": "HTTPDATE"}}], [(0, "date", "formats", "formats: Input should be a valid list")]),
    ([{"date": {"timezone": "Mars/Olympus"}}], [(0, "date", "timezone", "unknown time zone 'Mars/Olympus'")]),
    ([{"date": {"keep": "perhaps"}}], [(0, "date", "keep", "keep: Input should be a valid boolean")]),
    ([{"grok": {"patterns": []}}], [(0, "grok", "patterns", "'patterns' must be a non-empty list")]),
    ([{"grok": {"patterns": ["x"], "field": 3}}], [(0, "grok", "field", "3 is not a field path (field)")]),
    ([{"tag": {"tags": ["a"], "when": {"exist": "x"}}}], [(0, "tag", "when.exist", "unknown option(s) when.exist")]),
    ([{"tag": {"when": {"missing": ["x"]}}}], [(0, "tag", "when.missing", "['x'] is not a field path")]),
    ([{"remove": {"fields": ["a", 7]}}], [(0, "remove", "fields[1]", "7 is not a field path (fields[1])")]),
    ([{"convert": {"a": "int128"}}], [(0, "convert", "fields", "a: unknown type 'int128'")]),
    ([{"rename": {"a": None}}], [(0, "rename", "fields.a", "None is not a field path")]),
    ([{"grouping_key": {"levels": "error"}}], [(0, "grouping_key", "levels", "'levels' must be a list")]),
    ([{"fingerprint": {}}], [(0, "fingerprint", "fields", "'fields' must be a non-empty list")]),
    ([{"frobnicate": {}}], [(0, None, None, "unknown step 'frobnicate'")]),
    ([{"date": {}, "tag": {}}], [(0, None, None, "one key")]),
    (["date"], [(0, None, None, "one key")]),
    ([{"date": []}], [(0, "date", None, "Input should be a valid dictionary")]),
    (  # every problem of the file at once, unknown options of one step together
        [{"date": {"feild": 1, "targte": 2}}, {"tag": {}}, {"ip": {"fallback": "x"}}],
        [(0, "date", "feild", "unknown option(s) feild, targte"), (2, "ip", "field", "Field required")],
    ),
]


@pytest.mark.parametrize(("steps", "expected"), BAD_STEPS)
def test_bad_steps_name_file_step_type_and_key(
    tmp_path: Path, steps: list[Any], expected: list[tuple[int | None, str | None, str | None, str]]
) -> None:
    found = problems_of(library(tmp_path, steps))
    assert [(p.step, p.kind, p.key) for p in found] == [(step, kind, key) for step, kind, key, _ in expected]
    for problem, (_, _, _, fragment) in zip(found, expected, strict=True):
        assert problem.file == str(tmp_path / "pipelines" / "x.yml")
        assert fragment in problem.reason


def test_the_message_reads_file_step_type_key_reason(tmp_path: Path) -> None:
    with pytest.raises(InvalidLibraryFile) as raised:
        Router.load(library(tmp_path, [{"tag": {}}, {"tag": {}}, {"tag": {}}, {"scale": {"factor": 2}}]))
    assert str(raised.value) == f"{tmp_path}/pipelines/x.yml: steps[3] (scale): field: Field required"


def test_compile_errors_name_the_step(tmp_path: Path) -> None:
    (problem,) = problems_of(library(tmp_path, [{"tag": {}}, {"grok": {"patterns": ["%{NOPE}"]}}]))
    assert (problem.step, problem.kind) == (1, "grok")
    assert "NOPE" in problem.reason


@pytest.mark.parametrize(
    ("routing", "key", "fragment"),
    [
        ("datasets: {x.app: x}\nrouting: {}\n", "routing", "unknown option(s) routing"),
        ("datasets: [x]\n", "datasets", "Input should be a valid dictionary"),
        ("datasets: {x.app: ../../etc/x}\n", "datasets.x.app", "should match pattern"),
        ("datasets: {x.app: [x]}\n", "datasets.x.app", "Input should be a valid string"),
        ("datasets: {x.app: nowhere}\n", "datasets.x.app", "routes to missing"),
        ("datasets: {x.app: x\n", None, "cannot read"),
    ],
)
def test_bad_routing_names_the_key(tmp_path: Path, routing: str, key: str | None, fragment: str) -> None:
    (problem,) = problems_of(library(tmp_path, [], routing))
    assert problem.file == str(tmp_path / "routing.yml")
    assert (problem.step, problem.key) == (None, key)
    assert fragment in problem.reason


def test_an_empty_routing_file_routes_nothing(tmp_path: Path) -> None:
    assert Router.load(library(tmp_path, [], "")).datasets == []


@pytest.mark.parametrize("path", sorted((DEFAULT_LIBRARY / "pipelines").glob("*.yml")), ids=lambda p: p.name)
def test_every_shipped_pipeline_file_validates_and_compiles(path: Path) -> None:
    parsed = read(path, PipelineFile)
    assert parsed.description
    assert parsed.steps
    context = Context(PatternLibrary.from_dirs([DEFAULT_LIBRARY / "patterns"]), 0.25, "UTC")
    assert len(load_file(path, context).steps) == len(parsed.steps)


def test_shipped_routing_file_validates() -> None:
    routing = read(DEFAULT_LIBRARY / "routing.yml", RoutingFile)
    assert routing.datasets["nginx.access"] == "nginx.access"
    assert all((DEFAULT_LIBRARY / "pipelines" / f"{name}.yml").is_file() for name in routing.datasets.values())


def test_every_step_type_has_an_options_model() -> None:
    assert set(STEPS) == set(STEP_KINDS) == {options.kind for options in STEP_OPTIONS}


def test_a_step_takes_its_model_or_the_yaml_mapping() -> None:
    context = Context(PatternLibrary.from_dirs([DEFAULT_LIBRARY / "patterns"]), 0.25, "UTC")
    for spec in (GrokOptions(patterns=["^%{WORD:a}"]), {"patterns": ["^%{WORD:a}"]}):
        event: dict[str, Any] = {"message": "hello world"}
        Grok(spec, context)(event)
        assert event["a"] == "hello"


def test_the_pipeline_file_schema_is_exportable() -> None:
    schema = PipelineFile.model_json_schema()
    assert set(schema["properties"]) == {"description", "steps"}
    assert {"GrokOptions", "DateOptions", "GroupingKeyOptions"} <= set(schema["$defs"])

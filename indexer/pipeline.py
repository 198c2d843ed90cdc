"""Pipelines: one YAML file per dataset in ``grok_patterns/pipelines``, a list of steps.

``routing.yml`` maps a dataset (``event.dataset``) to its pipeline; a dataset without one passes
through with only the envelope. A pipeline that does not load fails the indexer at start, naming
the file, the step and the reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import grokpipe
from grokpipe.indexer.errors import PatternError, PipelineError
from grokpipe.indexer.fields import Event
from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.processors import STEPS, Context, Step

#: The pattern library shipped with grokpipe: the top-level grok_patterns/, installed as package data of grokpipe.
DEFAULT_LIBRARY = Path(grokpipe.__file__).parent / "grok_patterns"


class Pipeline:
    def __init__(self, name: str, steps: list[Step]) -> None:
        self.name = name
        self.steps = steps

    def __call__(self, event: Event) -> Event:
        for step in self.steps:
            if not step.guarded or step.applies(event):
                step(event)
        return event


def build(name: str, doc: Any, context: Context, source: str) -> Pipeline:
    if not isinstance(doc, dict) or not isinstance(doc.get("steps"), list):
        raise PipelineError(f"{source}: expected a mapping with a 'steps' list")
    steps: list[Step] = []
    for index, item in enumerate(doc["steps"]):
        where = f"{source}: steps[{index}]"
        if not isinstance(item, dict) or len(item) != 1:
            raise PipelineError(f"{where}: each step is a mapping with one key, the step's name")
        ((kind, spec),) = item.items()
        step_type = STEPS.get(kind)
        if step_type is None:
            raise PipelineError(f"{where}: unknown step {kind!r} (known: {', '.join(sorted(STEPS))})")
        try:
            steps.append(step_type(spec or {}, context))
        except (ValueError, KeyError, TypeError, PatternError) as exc:
            raise PipelineError(f"{where} ({kind}): {exc}") from None
    return Pipeline(name, steps)


class Router:
    """``event.dataset`` -> pipeline."""

    def __init__(self, pipelines: dict[str, Pipeline]) -> None:
        self._pipelines = pipelines

    @property
    def datasets(self) -> list[str]:
        return sorted(self._pipelines)

    def pipeline_for(self, dataset: str | None) -> Pipeline | None:
        return self._pipelines.get(dataset or "")

    def __call__(self, event: Event) -> Event:
        dataset = event.get("event", {}).get("dataset") if isinstance(event.get("event"), dict) else None
        pipeline = self._pipelines.get(dataset or "")
        return pipeline(event) if pipeline is not None else event

    @classmethod
    def load(
        cls,
        library_dir: Path = DEFAULT_LIBRARY,
        extra_pattern_dirs: list[Path] | None = None,
        grok_timeout: float = 0.25,
        timezone: str = "UTC",
    ) -> Router:
        try:
            library = PatternLibrary.from_dirs([library_dir / "patterns", *(extra_pattern_dirs or [])])
        except PatternError as exc:
            raise PipelineError(str(exc)) from None
        context = Context(library, grok_timeout, timezone)
        routing_file = library_dir / "routing.yml"
        routing = yaml.safe_load(routing_file.read_text()) if routing_file.is_file() else {}
        pipelines: dict[str, Pipeline] = {}
        for dataset, pipeline_name in (routing or {}).get("datasets", {}).items():
            path = library_dir / "pipelines" / f"{pipeline_name}.yml"
            if not path.is_file():
                raise PipelineError(f"{routing_file}: dataset {dataset!r} routes to missing {path}")
            pipelines[dataset] = build(pipeline_name, yaml.safe_load(path.read_text()), context, str(path))
        return cls(pipelines)

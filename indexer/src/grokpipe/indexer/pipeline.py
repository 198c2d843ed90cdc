"""Pipelines: one YAML file per dataset in ``grok_patterns/pipelines``, a list of steps.

``routing.yml`` maps a dataset (``event.dataset``) to its pipeline; a dataset without one passes
through with only the envelope. Every pipeline starts with :class:`JsonMessage` (a message that is
a JSON object becomes fields, :mod:`grokpipe.indexer.jsonlogs`), and so does a dataset without one.
Both are validated against :mod:`grokpipe.indexer.pipelinefile`; a file that does not load fails
the indexer at start, naming the file, the step, its type and the key.
"""

from __future__ import annotations

import time
from importlib.resources import files
from pathlib import Path
from typing import Any

from grokpipe.indexer import pipelinefile
from grokpipe.indexer.errors import PatternError, PipelineError
from grokpipe.indexer.fields import Event, add_tag
from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.jsonlogs import JsonMessage
from grokpipe.indexer.pipelinefile import InvalidLibraryFile, PipelineFile, Problem, RoutingFile
from grokpipe.indexer.processors import STEPS, Context, Step

#: The pattern library shipped with grokpipe: the top-level grok_patterns/ folder, installed as the package
#: ``grokpipe.grok_patterns`` of the grokpipe-patterns distribution (an editable install points at the folder).
DEFAULT_LIBRARY = Path(str(files("grokpipe.grok_patterns")))


#: The event's steps took longer than the pipeline's ``budget``: the steps after that were skipped.
TAG_PIPELINE_LIMIT = "_pipelinelimit"
JSON_MESSAGE = JsonMessage()  #: runs before the steps of every pipeline


class Pipeline:
    """Steps in order. Each step bounds its own work (docs/bounds.md); ``budget`` (``grok.event_budget``)
    bounds their sum: once an event has taken that long, its remaining steps are skipped and it is
    tagged ``_pipelinelimit``, so one hostile event cannot hold up the batch behind it."""

    def __init__(self, name: str, steps: list[Step], budget: float = 1.0) -> None:
        self.name = name
        self.steps = steps
        self.budget = budget

    def __call__(self, event: Event) -> Event:
        started = time.perf_counter()
        JSON_MESSAGE(event)
        for step in self.steps:
            if not step.guarded or step.applies(event):
                step(event)
                if time.perf_counter() - started > self.budget:
                    add_tag(event, TAG_PIPELINE_LIMIT)
                    break
        return event


def build(name: str, doc: Any, context: Context, source: str) -> Pipeline:
    """The pipeline of one file's YAML document; :class:`InvalidLibraryFile` names file, step and key."""
    return compile_steps(name, pipelinefile.parse(doc, PipelineFile, source), context, source)


def compile_steps(name: str, parsed: PipelineFile, context: Context, source: str) -> Pipeline:
    """Each step built from its validated options: grok expressions, date formats compile here."""
    steps: list[Step] = []
    for index, spec in enumerate(parsed.steps):
        kind = spec.options.kind
        try:
            steps.append(STEPS[kind](spec.options, context))
        except (ValueError, PatternError) as exc:
            raise InvalidLibraryFile([Problem(source, str(exc), index, kind)]) from None
    return Pipeline(name, steps, context.event_budget)


def load_file(path: Path, context: Context) -> Pipeline:
    """``pipelines/<name>.yml`` read, validated and compiled."""
    return compile_steps(path.stem, pipelinefile.read(path, PipelineFile), context, str(path))


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
        if pipeline is None:
            JSON_MESSAGE(event)
            return event
        return pipeline(event)

    @classmethod
    def load(
        cls,
        library_dir: Path = DEFAULT_LIBRARY,
        extra_pattern_dirs: list[Path] | None = None,
        grok_timeout: float = 0.25,
        timezone: str = "UTC",
        *,
        grok_max_chars: int = 65_536,
        event_budget: float = 1.0,
    ) -> Router:
        try:
            library = PatternLibrary.from_dirs([library_dir / "patterns", *(extra_pattern_dirs or [])])
        except PatternError as exc:
            raise PipelineError(str(exc)) from None
        context = Context(library, grok_timeout, timezone, grok_max_chars, event_budget)
        routing_file = library_dir / "routing.yml"
        routing = pipelinefile.read(routing_file, RoutingFile) if routing_file.is_file() else RoutingFile()
        pipelines: dict[str, Pipeline] = {}
        for dataset, pipeline_name in routing.datasets.items():
            path = library_dir / "pipelines" / f"{pipeline_name}.yml"
            if not path.is_file():
                reason = f"dataset {dataset!r} routes to missing {path}"
                raise InvalidLibraryFile([Problem(str(routing_file), reason, key=f"datasets.{dataset}")])
            pipelines[dataset] = load_file(path, context)
        return cls(pipelines)

"""The library's YAML files as typed models: ``pipelines/<name>.yml`` and ``routing.yml``.

A file that does not validate raises :class:`InvalidLibraryFile` listing every problem with the
file, the step index, the step type and the key, e.g.
``grok_patterns/pipelines/nginx.access.yml: steps[3] (date): formats: Input should be a valid list``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, Union

import yaml
from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, create_model, model_validator
from pydantic_core import ErrorDetails, PydanticCustomError

from grokpipe.indexer.errors import PipelineError
from grokpipe.indexer.options import FIELD_PATH_ERROR, OPTION_ERROR, STEP_OPTIONS, Options

_FILE_ERROR = "library_file"
STEP_KINDS: tuple[str, ...] = tuple(options.kind for options in STEP_OPTIONS)


@dataclass(frozen=True)
class Problem:
    """One reason a library file is invalid; ``step``, ``kind`` and ``key`` are None where they do not apply."""

    file: str
    reason: str
    step: int | None = None
    kind: str | None = None
    key: str | None = None

    def __str__(self) -> str:
        where = self.file
        if self.step is not None:
            where += f": steps[{self.step}]" + (f" ({self.kind})" if self.kind else "")
        return f"{where}: {self.reason}"


class InvalidLibraryFile(PipelineError):
    """A pipeline file or routing.yml that does not validate; :attr:`problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = tuple(problems)


class StepSpec(BaseModel):
    """One entry of ``steps``, ``{<kind>: <options>}``: a subclass per step type, the kind its alias."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    options: Options


def _step_kind(value: Any) -> str | None:
    if isinstance(value, StepSpec):
        return value.options.kind
    if isinstance(value, dict) and len(value) == 1:
        return str(next(iter(value)))
    return None


def _spec_model(options: type[Options]) -> Any:
    name = f"{options.__name__.removesuffix('Options')}Step"
    spec = create_model(name, __base__=StepSpec, options=(options, Field(alias=options.kind)))
    return Annotated[spec, Tag(options.kind)]


if TYPE_CHECKING:
    AnyStep = StepSpec
else:
    #: The discriminated union of every step type, tagged by the step's one key.
    AnyStep = Annotated[Union[tuple(_spec_model(o) for o in STEP_OPTIONS)], Discriminator(_step_kind)]  # noqa: UP007


class PipelineFile(BaseModel):
    """``pipelines/<name>.yml``: a description and the list of steps, run in order."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    steps: list[AnyStep]

    @model_validator(mode="before")
    @classmethod
    def _shape(cls, value: Any) -> Any:
        if not isinstance(value, dict) or not isinstance(value.get("steps"), list):
            raise PydanticCustomError(_FILE_ERROR, "expected a mapping with a 'steps' list")
        return value


#: A pipeline's name: its file is ``pipelines/<name>.yml``, so no path separators.
PipelineName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]


class RoutingFile(BaseModel):
    """``routing.yml``: which pipeline parses which ``event.dataset``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    datasets: dict[str, PipelineName] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _empty_file(cls, value: Any) -> Any:
        return {} if value is None else value


M = TypeVar("M", bound=BaseModel)


def read(path: Path, model: type[M]) -> M:
    """The YAML file at ``path`` as ``model``; :class:`InvalidLibraryFile` names every problem."""
    try:
        doc = yaml.safe_load(path.read_text())
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InvalidLibraryFile([Problem(str(path), f"cannot read: {exc}")]) from None
    return parse(doc, model, str(path))


def parse(doc: Any, model: type[M], source: str) -> M:
    try:
        return model.model_validate(doc)
    except ValidationError as exc:
        raise InvalidLibraryFile(problems(source, exc.errors(include_url=False))) from None


def problems(source: str, errors: list[ErrorDetails]) -> list[Problem]:
    """pydantic's errors as :class:`Problem` s, in the file's order; a step's unknown options in one."""
    found: list[Problem] = []
    unknown_at: dict[tuple[int | None, str | None], int] = {}
    for error in errors:
        step, kind, key = _where(error["loc"])
        if error["type"] != "extra_forbidden":
            found.append(Problem(source, _reason(error, key), step, kind, key))
        elif (step, kind) in unknown_at:
            index = unknown_at[step, kind]
            found[index] = replace(found[index], reason=f"{found[index].reason}, {key}")
        else:
            unknown_at[step, kind] = len(found)
            found.append(Problem(source, f"unknown option(s) {key}", step, kind, key))
    return found


def _where(loc: tuple[int | str, ...]) -> tuple[int | None, str | None, str | None]:
    """``('steps', 3, 'date', 'date', 'formats')`` -> step 3, kind date, key formats."""
    if len(loc) >= 2 and loc[0] == "steps" and isinstance(loc[1], int):
        kind = str(loc[2]) if len(loc) > 2 else None
        return loc[1], kind, _key(loc[4:])
    return None, None, _key(loc)


def _key(parts: tuple[int | str, ...]) -> str | None:
    if not parts:
        return None
    key = ""
    for part in parts:
        key += f"[{part}]" if isinstance(part, int) else (f".{part}" if key else str(part))
    return key


def _reason(error: ErrorDetails, key: str | None) -> str:
    kind = error["type"]
    if kind == "union_tag_invalid":
        tag = error.get("ctx", {}).get("tag")
        return f"unknown step {tag!r} (known: {', '.join(sorted(STEP_KINDS))})"
    if kind == "union_tag_not_found":
        return "each step is a mapping with one key, the step's name"
    if kind in (OPTION_ERROR, _FILE_ERROR):
        return error["msg"]
    if kind == FIELD_PATH_ERROR:
        return f"{error['msg']} ({key})" if key else error["msg"]
    return f"{key}: {error['msg']}" if key else error["msg"]

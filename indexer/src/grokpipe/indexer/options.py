"""The schema of pipeline files: one pydantic model per step type's options, and the file itself.

A pipeline file is ``{description, steps}``; each step is a mapping with one key, the step's type,
whose value is that type's options (:class:`GrokOptions`, :class:`DateOptions`, ...). The steps
are a discriminated union on that key, so an unknown type, a misspelt option (``extra="forbid"``)
or a missing one is an error naming the step and the key. Files are parsed once when the indexer
starts; the steps copy what they need into plain attributes, so events never touch these models.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from grokpipe.envelope import TAG_GROK_PARSE_FAILURE
from grokpipe.fieldnames import ERROR_GROUPING_KEY
from grokpipe.indexer.fingerprint import DEFAULT_LEVELS
from grokpipe.indexer.frames import DEFAULT_LIBRARY_PREFIXES
from grokpipe.timeutil import time_zone

#: Error types of our own validators: their message already says which option is wrong.
OPTION_ERROR = "option"
#: A value that should be a dotted field path; the message names the value, the key is added.
FIELD_PATH_ERROR = "field_path"


def _field_path(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise PydanticCustomError(FIELD_PATH_ERROR, "{shown} is not a field path", {"shown": repr(value)})
    return value


#: A dotted field path such as ``http.response.status_code``.
FieldName = Annotated[str, BeforeValidator(_field_path)]


def _option_error(message: str) -> PydanticCustomError:
    return PydanticCustomError(OPTION_ERROR, message)


class When(BaseModel):
    """A step's guard: it runs only if every condition given holds."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    exists: FieldName | None = None
    missing: FieldName | None = None
    equals: dict[FieldName, Any] = Field(default_factory=dict)


class Options(BaseModel):
    """Base of every step's options: ``when``, and ``null`` (``grouping_key:``) read as ``{}``."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    #: The step's key in a pipeline file.
    kind: ClassVar[str]

    when: When | None = None

    @model_validator(mode="before")
    @classmethod
    def _null_is_empty(cls, value: Any) -> Any:
        return {} if value is None else value

    @classmethod
    def coerce(cls, spec: Self | Mapping[str, Any]) -> Self:
        """``spec`` as this model (a step built in code may pass the YAML mapping)."""
        return spec if isinstance(spec, cls) else cls.model_validate(spec)


class _FieldMapping(Options):
    """Options that are a mapping of field paths (``rename: {a: b}``), besides ``when``."""

    fields: dict[FieldName, Any] = Field(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _gather_fields(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            return value
        return {"when": value.get("when"), "fields": {k: v for k, v in value.items() if k != "when"}}


class GrokOptions(Options):
    """First matching expression wins; its captures become fields."""

    kind: ClassVar[str] = "grok"
    field: FieldName = "message"
    patterns: list[str] = Field(default_factory=list, validate_default=True)
    tag_on_failure: str | None = Field(default=TAG_GROK_PARSE_FAILURE, description="null: no tag")
    overwrite: list[FieldName] = Field(
        default_factory=list, description="accepted for Logstash's grok; captures always replace the field"
    )

    @field_validator("patterns", mode="before")
    @classmethod
    def _some_patterns(cls, value: Any) -> Any:
        if not value or not isinstance(value, list):
            raise _option_error("'patterns' must be a non-empty list of grok expressions")
        return value


def _time_zone(value: Any) -> Any:
    if value in (None, "UTC", "Z"):
        return value
    try:
        time_zone(str(value))
    except ValueError as exc:
        raise _option_error(f"timezone: {exc}") from None
    return value


class DateOptions(Options):
    kind: ClassVar[str] = "date"
    field: FieldName = "timestamp"
    formats: list[str] = Field(default_factory=lambda: ["ISO8601"], description="named formats or strptime forms")
    timezone: Annotated[str | None, BeforeValidator(_time_zone)] = Field(
        default=None, description="of times without an offset; default: the indexer's grok.timezone"
    )
    target: FieldName = "@timestamp"
    keep: bool = False


ConvertKind = Literal["int", "long", "float", "string", "boolean"]
_CONVERT_KINDS: tuple[str, ...] = ("int", "long", "float", "string", "boolean")


class ConvertOptions(_FieldMapping):
    """``{path: type}``: int, long, float, string, boolean."""

    kind: ClassVar[str] = "convert"
    fields: dict[FieldName, ConvertKind] = Field(default_factory=dict)

    @field_validator("fields", mode="before")
    @classmethod
    def _known_kinds(cls, value: Any) -> Any:
        for path, kind in (value or {}).items() if isinstance(value, Mapping) else ():
            if kind not in _CONVERT_KINDS:
                raise _option_error(f"{path}: unknown type {kind!r} ({', '.join(_CONVERT_KINDS)})")
        return value


class ScaleOptions(Options):
    kind: ClassVar[str] = "scale"
    field: FieldName
    factor: float
    target: FieldName | None = Field(default=None, description="default: the field itself")


class RenameOptions(_FieldMapping):
    """``{source: target}``; ``-`` and empty values are dropped."""

    kind: ClassVar[str] = "rename"
    fields: dict[FieldName, FieldName] = Field(default_factory=dict)


class CopyOptions(_FieldMapping):
    """``{source: target}`` where the target is still missing."""

    kind: ClassVar[str] = "copy"
    fields: dict[FieldName, FieldName] = Field(default_factory=dict)


class SetOptions(_FieldMapping):
    """``{path: constant}`` where the field is missing."""

    kind: ClassVar[str] = "set"


class RemoveOptions(Options):
    kind: ClassVar[str] = "remove"
    fields: list[FieldName] = Field(default_factory=list)


class TagOptions(Options):
    kind: ClassVar[str] = "tag"
    tags: list[str] = Field(default_factory=list)


class LowercaseOptions(Options):
    kind: ClassVar[str] = "lowercase"
    fields: list[FieldName] = Field(default_factory=list)


class MapOptions(Options):
    kind: ClassVar[str] = "map"
    field: FieldName
    target: FieldName | None = Field(default=None, description="default: the field itself")
    values: dict[Any, Any] = Field(default_factory=dict)
    default: Any = Field(default=None, description="for a value not in the table; null: leave the field")


class JsonOptions(Options):
    kind: ClassVar[str] = "json"
    field: FieldName = "message"
    target: FieldName | None = Field(default=None, description="null: merge the record's keys into the event")


class IpOptions(Options):
    kind: ClassVar[str] = "ip"
    field: FieldName
    target: FieldName = "source.ip"
    fallback: FieldName = Field(default="source.domain", description="for a value that is not an IP address")


def _target_path(value: Any) -> Any:
    if not isinstance(value, str) or not value:
        raise _option_error("'target' must be a field path")
    return value


class GroupingKeyOptions(Options):
    kind: ClassVar[str] = "grouping_key"
    target: Annotated[str, BeforeValidator(_target_path)] = ERROR_GROUPING_KEY
    levels: tuple[str, ...] = tuple(sorted(DEFAULT_LEVELS))
    library_prefixes: tuple[str, ...] = DEFAULT_LIBRARY_PREFIXES
    extra_library_prefixes: tuple[str, ...] = ()
    message_fields: tuple[str, ...] = ("error.message", "log.message", "message")
    logger_fields: tuple[str, ...] = ("log.logger",)

    @field_validator(
        "levels", "library_prefixes", "extra_library_prefixes", "message_fields", "logger_fields", mode="before"
    )
    @classmethod
    def _strings(cls, value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item for item in value):
            raise _option_error(f"{info.field_name!r} must be a list of non-empty strings")
        return value


class FingerprintOptions(Options):
    kind: ClassVar[str] = "fingerprint"
    fields: tuple[str, ...] = Field(default=(), validate_default=True, description="paths or '{{ default }}'")
    target: Annotated[str, BeforeValidator(_target_path)] = ERROR_GROUPING_KEY

    @field_validator("fields", mode="before")
    @classmethod
    def _some_fields(cls, value: Any) -> Any:
        if not isinstance(value, list | tuple) or not value or not all(isinstance(f, str) and f.strip() for f in value):
            raise _option_error("'fields' must be a non-empty list of field paths or '{{ default }}'")
        return tuple(f.strip() for f in value)


class SentryOptions(Options):
    """The ``sentry`` step has no options: it maps ``sentry.payload`` by ``sentry.item`` (indexer.sentry)."""

    kind: ClassVar[str] = "sentry"


#: Every step type's options, in the order the docs list them.
STEP_OPTIONS: tuple[type[Options], ...] = (
    GrokOptions, DateOptions, ConvertOptions, ScaleOptions, RenameOptions, CopyOptions, SetOptions, RemoveOptions,
    TagOptions, LowercaseOptions, MapOptions, JsonOptions, IpOptions, GroupingKeyOptions, FingerprintOptions,
    SentryOptions,
)  # fmt: skip

"""Pipeline steps: small classes compiled once, each mapping an event (in place) to the next.

Every step takes its options from one YAML mapping and fails at load time with the option that is
wrong. A step never drops an event: what it cannot do it records as a tag.
"""

from __future__ import annotations

import math
from typing import Any, ClassVar

import orjson
import regex

from grokpipe.envelope import TAG_DATE_PARSE_FAILURE, TAG_GROK_PARSE_FAILURE, TAG_GROK_TIMEOUT
from grokpipe.indexer.dates import DateParser
from grokpipe.indexer.fields import Event, FieldPath, add_tag, compile_path, get, get_at, pop, pop_at, put, put_at
from grokpipe.indexer.fingerprint import DEFAULT_LEVELS, ErrorFacts, Grouping, custom_key, fingerprint
from grokpipe.indexer.frames import DEFAULT_LIBRARY_PREFIXES
from grokpipe.indexer.grok import PatternLibrary

TAG_JSON_PARSE_FAILURE = "_jsonparsefailure"


class Step:
    """Base: ``when`` (``{exists: path}``, ``{missing: path}``, ``{equals: {path: value}}``) guards a step.

    Steps compile their field paths here and in their ``__init__`` (:func:`compile_path`), not per
    event; ``guarded`` is False for a step without ``when``, so the pipeline skips :meth:`applies`.
    """

    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        unknown = set(spec) - self.allowed(spec) - {"when"}
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}")
        when = spec.get("when") or {}
        exists, missing = when.get("exists"), when.get("missing")
        self._exists: FieldPath | None = None if exists is None else compile_path(exists)
        self._missing: FieldPath | None = None if missing is None else compile_path(missing)
        self._equals = tuple((compile_path(path), value) for path, value in (when.get("equals") or {}).items())
        self.guarded = bool(self._exists is not None or self._missing is not None or self._equals)

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return self.options

    def applies(self, event: Event) -> bool:
        if self._exists is not None and get_at(event, self._exists) is None:
            return False
        if self._missing is not None and get_at(event, self._missing) is not None:
            return False
        return all(get_at(event, path) == value for path, value in self._equals)

    def __call__(self, event: Event) -> None:
        raise NotImplementedError


class Context:
    """What steps need at compile time: the pattern library and the pipeline's defaults."""

    def __init__(self, library: PatternLibrary, grok_timeout: float, timezone: str) -> None:
        self.library = library
        self.grok_timeout = grok_timeout
        self.timezone = timezone


class Grok(Step):
    """First matching expression wins; its captures become fields."""

    name = "grok"
    options = frozenset({"field", "patterns", "tag_on_failure", "overwrite"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec.get("field", "message"))
        patterns = spec.get("patterns")
        if not patterns or not isinstance(patterns, list):
            raise ValueError("'patterns' must be a non-empty list of grok expressions")
        self._groks = [context.library.compile(p) for p in patterns]
        self._tag: str | None = spec.get("tag_on_failure", TAG_GROK_PARSE_FAILURE)  # null: no tag
        self._timeout = context.grok_timeout
        self._targets: dict[str, FieldPath] = {}  # capture name -> path; the expressions fix the names

    def __call__(self, event: Event) -> None:
        text = get_at(event, self._field)
        if not isinstance(text, str):
            if self._tag:
                add_tag(event, self._tag)
            return
        for grok in self._groks:
            try:
                found = grok.match(text, timeout=self._timeout)
            except TimeoutError:
                add_tag(event, TAG_GROK_TIMEOUT)
                return
            if found is not None:
                targets = self._targets
                for path, value in found.items():
                    target = targets.get(path)
                    if target is None:
                        target = targets[path] = compile_path(path)
                    put_at(event, target, value)
                return
        if self._tag:
            add_tag(event, self._tag)


class Date(Step):
    name = "date"
    options = frozenset({"field", "formats", "timezone", "target", "keep"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec.get("field", "timestamp"))
        self._target = compile_path(spec.get("target", "@timestamp"))
        self._pop_field = not spec.get("keep", False) and self._field != self._target
        self._parser = DateParser(list(spec.get("formats") or ["ISO8601"]), spec.get("timezone", context.timezone))

    def __call__(self, event: Event) -> None:
        raw = get_at(event, self._field)
        if raw is None:
            return
        parsed = self._parser.parse(str(raw))
        if parsed is None:
            add_tag(event, TAG_DATE_PARSE_FAILURE)  # @timestamp stays the shipper's
            return
        put_at(event, self._target, parsed)
        if self._pop_field:
            pop_at(event, self._field)


class Convert(Step):
    name = "convert"
    _KINDS: ClassVar[dict[str, Any]] = {"int": int, "long": int, "float": float, "string": str}

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        self._fields = {k: v for k, v in spec.items() if k != "when"}
        for path, kind in self._fields.items():
            if kind not in (*self._KINDS, "boolean"):
                raise ValueError(f"{path}: unknown type {kind!r} (int, long, float, string, boolean)")
        self._paths = tuple((compile_path(path), kind) for path, kind in self._fields.items())
        super().__init__(spec, context)

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return frozenset(spec)

    def __call__(self, event: Event) -> None:
        for path, kind in self._paths:
            value = get_at(event, path)
            if value is None:
                continue
            try:
                if kind == "boolean":
                    put_at(event, path, str(value).lower() in ("true", "1", "yes", "on"))
                else:
                    converted = self._KINDS[kind](value)
                    if isinstance(converted, float) and not math.isfinite(converted):
                        raise ValueError(value)
                    put_at(event, path, converted)
            except (TypeError, ValueError):
                add_tag(event, "_convertfailure")


class Scale(Step):
    """Multiply a number into another unit, e.g. gunicorn's microseconds to ECS's ``event.duration`` (ns)."""

    name = "scale"
    options = frozenset({"field", "factor", "target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec["field"])
        self._factor = float(spec["factor"])
        self._target = compile_path(spec.get("target", spec["field"]))

    def __call__(self, event: Event) -> None:
        value = pop_at(event, self._field) if self._target != self._field else get_at(event, self._field)
        if value is None:
            return
        try:
            scaled = float(value) * self._factor
        except (TypeError, ValueError):
            add_tag(event, "_convertfailure")
            return
        put_at(event, self._target, int(scaled) if scaled.is_integer() else scaled)


class _Mapping(Step):
    """Steps whose options are a mapping of field paths (rename, copy, set)."""

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        self._pairs = {k: v for k, v in spec.items() if k != "when"}
        super().__init__(spec, context)

    def _path_pairs(self) -> tuple[tuple[FieldPath, FieldPath], ...]:
        return tuple((compile_path(source), compile_path(target)) for source, target in self._pairs.items())

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return frozenset(spec)


class Rename(_Mapping):
    name = "rename"

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._paths = self._path_pairs()

    def __call__(self, event: Event) -> None:
        for source, target in self._paths:
            value = pop_at(event, source)
            if value not in (None, "", "-"):  # nginx writes "-" and "" for absent values
                put_at(event, target, value)


class Copy(_Mapping):
    """Copy a field where the target is still missing."""

    name = "copy"

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._paths = self._path_pairs()

    def __call__(self, event: Event) -> None:
        for source, target in self._paths:
            value = get_at(event, source)
            if value is not None and get_at(event, target) is None:
                put_at(event, target, value)


class Set(_Mapping):
    """Set constant fields (where missing)."""

    name = "set"

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._values = tuple((compile_path(path), value) for path, value in self._pairs.items())

    def __call__(self, event: Event) -> None:
        for path, value in self._values:
            if get_at(event, path) is None:
                put_at(event, path, value)


class Remove(Step):
    name = "remove"
    options = frozenset({"fields"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._fields = tuple(compile_path(path) for path in spec.get("fields") or [])

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            pop_at(event, path)


class Tag(Step):
    name = "tag"
    options = frozenset({"tags"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._tags = list(spec.get("tags") or [])

    def __call__(self, event: Event) -> None:
        for tag in self._tags:
            add_tag(event, tag)


class Lowercase(Step):
    name = "lowercase"
    options = frozenset({"fields"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._fields = tuple(compile_path(path) for path in spec.get("fields") or [])

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            value = get_at(event, path)
            if isinstance(value, str):
                put_at(event, path, value.lower())


class Map(Step):
    """Translate a field's value through a table (e.g. PHP error levels to log.level)."""

    name = "map"
    options = frozenset({"field", "target", "values", "default"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec["field"])
        self._target = compile_path(spec.get("target", spec["field"]))
        self._values = dict(spec.get("values") or {})
        self._default = spec.get("default")

    def __call__(self, event: Event) -> None:
        value = get_at(event, self._field)
        if value is None:
            return
        mapped = self._values.get(value, self._default)
        if mapped is not None:
            put_at(event, self._target, mapped)


class Json(Step):
    """Decode a JSON message (JSON access logs); ``target`` omitted merges into the event."""

    name = "json"
    options = frozenset({"field", "target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec.get("field", "message"))
        target = spec.get("target")
        self._target: FieldPath | None = None if target is None else compile_path(target)

    def __call__(self, event: Event) -> None:
        raw = get_at(event, self._field)
        if not isinstance(raw, str) or not raw.lstrip().startswith("{"):
            return
        try:
            decoded = orjson.loads(raw)
        except orjson.JSONDecodeError:
            add_tag(event, TAG_JSON_PARSE_FAILURE)
            return
        if not isinstance(decoded, dict):
            add_tag(event, TAG_JSON_PARSE_FAILURE)
        elif self._target is None:
            for key, value in decoded.items():
                put(event, key, value)  # the record's keys: not known in advance
        else:
            put_at(event, self._target, decoded)


class Ip(Step):
    """An address that is an IP goes to ``target`` (an ECS ip field), anything else to ``fallback``."""

    name = "ip"
    options = frozenset({"field", "target", "fallback"})
    _IP = regex.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$")

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = compile_path(spec["field"])
        self._target = compile_path(spec.get("target", "source.ip"))
        self._fallback = compile_path(spec.get("fallback", "source.domain"))

    def __call__(self, event: Event) -> None:
        value = pop_at(event, self._field)
        if isinstance(value, str) and value not in ("-", ""):
            put_at(event, self._target if self._IP.match(value) else self._fallback, value)


def _strings(spec: dict[str, Any], option: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = spec.get(option, default)
    if not isinstance(value, list | tuple) or not all(isinstance(item, str) and item for item in value):
        raise ValueError(f"{option!r} must be a list of non-empty strings")
    return tuple(value)


def _first_string(event: Event, paths: tuple[str, ...]) -> str:
    for path in paths:
        value = get(event, path)
        if isinstance(value, str) and value.strip():
            return value
    return ""


def _line(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


class GroupingKey(Step):
    """``error.grouping_key``, ``error.title``, ``error.culprit`` (and ``log.origin.*`` from the frame
    that names an exception): see :mod:`indexer.fingerprint` for what groups together."""

    name = "grouping_key"
    options = frozenset(
        {"target", "levels", "library_prefixes", "extra_library_prefixes", "message_fields", "logger_fields"}
    )

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._target = spec.get("target", "error.grouping_key")
        if not isinstance(self._target, str) or not self._target:
            raise ValueError("'target' must be a field path")
        levels = _strings(spec, "levels", tuple(sorted(DEFAULT_LEVELS)))
        prefixes = _strings(spec, "library_prefixes", DEFAULT_LIBRARY_PREFIXES)
        prefixes += _strings(spec, "extra_library_prefixes", ())
        self._grouping = Grouping(frozenset(level.lower() for level in levels), prefixes)
        self._message_fields = _strings(spec, "message_fields", ("error.message", "log.message", "message"))
        self._logger_fields = _strings(spec, "logger_fields", ("log.logger",))

    def facts(self, event: Event) -> ErrorFacts:
        def text(path: str) -> str:
            value = get(event, path)
            return value if isinstance(value, str) else ""

        return ErrorFacts(
            type=text("error.type"),
            message=text("error.message"),
            stack_trace=text("error.stack_trace"),
            file=text("log.origin.file.name"),
            line=_line(get(event, "log.origin.file.line")),
            level=text("log.level"),
            logger=_first_string(event, self._logger_fields),
            text=_first_string(event, self._message_fields),
            dataset=text("event.dataset"),
        )

    def __call__(self, event: Event) -> None:
        found = fingerprint(self.facts(event), self._grouping)
        if found is None:
            return
        put(event, self._target, found.key)
        put(event, "error.title", found.title)
        if found.culprit:
            put(event, "error.culprit", found.culprit)
        if found.frame is not None:
            for path, value in (
                ("log.origin.file.name", found.frame.file or None),
                ("log.origin.file.line", found.frame.line),
                ("log.origin.function", found.frame.function),
            ):
                if value is None:
                    pop(event, path)
                else:
                    put(event, path, value)


_DEFAULT = regex.compile(r"^\{\{\s*default\s*\}\}$")


class FingerprintRule(Step):
    """Sentry's fingerprint rules: a grouped event's key from chosen fields, ``{{ default }}`` standing
    for the key ``grouping_key`` computed (so it runs after that step; ungrouped events pass)."""

    name = "fingerprint"
    options = frozenset({"fields", "target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        fields = spec.get("fields")
        if not isinstance(fields, list) or not fields or not all(isinstance(f, str) and f.strip() for f in fields):
            raise ValueError("'fields' must be a non-empty list of field paths or '{{ default }}'")
        self._fields: tuple[str | None, ...] = tuple(None if _DEFAULT.match(f.strip()) else f.strip() for f in fields)
        self._target = spec.get("target", "error.grouping_key")
        if not isinstance(self._target, str) or not self._target:
            raise ValueError("'target' must be a field path")

    def __call__(self, event: Event) -> None:
        default = get(event, self._target)
        if not isinstance(default, str):
            return
        if self._fields == (None,):
            return
        values = [default if path is None else _value_text(get(event, path)) for path in self._fields]
        put(event, self._target, custom_key(values))


def _value_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return ",".join(_value_text(item) for item in value)
    if isinstance(value, dict):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return str(value)


_STEP_TYPES: tuple[type[Step], ...] = (
    Grok, Date, Convert, Scale, Rename, Copy, Set, Remove, Tag, Lowercase, Map, Json, Ip, GroupingKey, FingerprintRule,
)  # fmt: skip
STEPS: dict[str, type[Step]] = {cls.name: cls for cls in _STEP_TYPES}

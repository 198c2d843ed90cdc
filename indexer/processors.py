"""Pipeline steps: small classes compiled once, each mapping an event (in place) to the next.

Every step takes its options from one YAML mapping and fails at load time with the option that is
wrong. A step never drops an event: what it cannot do it records as a tag.
"""

from __future__ import annotations

import hashlib
import math
from typing import Any, ClassVar

import orjson
import regex

from grokpipe.envelope import TAG_DATE_PARSE_FAILURE, TAG_GROK_PARSE_FAILURE, TAG_GROK_TIMEOUT
from indexer.dates import DateParser
from indexer.fields import Event, add_tag, get, pop, put
from indexer.grok import PatternLibrary

TAG_JSON_PARSE_FAILURE = "_jsonparsefailure"


class Step:
    """Base: ``when`` (``{exists: path}``, ``{missing: path}``, ``{equals: {path: value}}``) guards a step."""

    name: ClassVar[str]
    options: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        unknown = set(spec) - self.allowed(spec) - {"when"}
        if unknown:
            raise ValueError(f"unknown option(s) {', '.join(sorted(unknown))}")
        when = spec.get("when") or {}
        self._exists: str | None = when.get("exists")
        self._missing: str | None = when.get("missing")
        self._equals: dict[str, Any] = when.get("equals") or {}

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return self.options

    def applies(self, event: Event) -> bool:
        if self._exists is not None and get(event, self._exists) is None:
            return False
        if self._missing is not None and get(event, self._missing) is not None:
            return False
        return all(get(event, path) == value for path, value in self._equals.items())

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
        self._field = spec.get("field", "message")
        patterns = spec.get("patterns")
        if not patterns or not isinstance(patterns, list):
            raise ValueError("'patterns' must be a non-empty list of grok expressions")
        self._groks = [context.library.compile(p) for p in patterns]
        self._tag: str | None = spec.get("tag_on_failure", TAG_GROK_PARSE_FAILURE)  # null: no tag
        self._timeout = context.grok_timeout

    def __call__(self, event: Event) -> None:
        text = get(event, self._field)
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
                for path, value in found.items():
                    put(event, path, value)
                return
        if self._tag:
            add_tag(event, self._tag)


class Date(Step):
    name = "date"
    options = frozenset({"field", "formats", "timezone", "target", "keep"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = spec.get("field", "timestamp")
        self._target = spec.get("target", "@timestamp")
        self._keep = bool(spec.get("keep", False))
        self._parser = DateParser(list(spec.get("formats") or ["ISO8601"]), spec.get("timezone", context.timezone))

    def __call__(self, event: Event) -> None:
        raw = get(event, self._field)
        if raw is None:
            return
        parsed = self._parser.parse(str(raw))
        if parsed is None:
            add_tag(event, TAG_DATE_PARSE_FAILURE)  # @timestamp stays the shipper's
            return
        put(event, self._target, parsed)
        if not self._keep and self._field != self._target:
            pop(event, self._field)


class Convert(Step):
    name = "convert"
    _KINDS: ClassVar[dict[str, Any]] = {"int": int, "long": int, "float": float, "string": str}

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        self._fields = {k: v for k, v in spec.items() if k != "when"}
        for path, kind in self._fields.items():
            if kind not in (*self._KINDS, "boolean"):
                raise ValueError(f"{path}: unknown type {kind!r} (int, long, float, string, boolean)")
        super().__init__(spec, context)

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return frozenset(spec)

    def __call__(self, event: Event) -> None:
        for path, kind in self._fields.items():
            value = get(event, path)
            if value is None:
                continue
            try:
                if kind == "boolean":
                    put(event, path, str(value).lower() in ("true", "1", "yes", "on"))
                else:
                    converted = self._KINDS[kind](value)
                    if isinstance(converted, float) and not math.isfinite(converted):
                        raise ValueError(value)
                    put(event, path, converted)
            except (TypeError, ValueError):
                add_tag(event, "_convertfailure")


class Scale(Step):
    """Multiply a number into another unit, e.g. gunicorn's microseconds to ECS's ``event.duration`` (ns)."""

    name = "scale"
    options = frozenset({"field", "factor", "target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = spec["field"]
        self._factor = float(spec["factor"])
        self._target = spec.get("target", self._field)

    def __call__(self, event: Event) -> None:
        value = pop(event, self._field) if self._target != self._field else get(event, self._field)
        if value is None:
            return
        try:
            scaled = float(value) * self._factor
        except (TypeError, ValueError):
            add_tag(event, "_convertfailure")
            return
        put(event, self._target, int(scaled) if scaled.is_integer() else scaled)


class _Mapping(Step):
    """Steps whose options are a mapping of field paths (rename, copy, set)."""

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        self._pairs = {k: v for k, v in spec.items() if k != "when"}
        super().__init__(spec, context)

    def allowed(self, spec: dict[str, Any]) -> frozenset[str]:
        return frozenset(spec)


class Rename(_Mapping):
    name = "rename"

    def __call__(self, event: Event) -> None:
        for source, target in self._pairs.items():
            value = pop(event, source)
            if value not in (None, "", "-"):  # nginx writes "-" and "" for absent values
                put(event, target, value)


class Copy(_Mapping):
    """Copy a field where the target is still missing."""

    name = "copy"

    def __call__(self, event: Event) -> None:
        for source, target in self._pairs.items():
            value = get(event, source)
            if value is not None and get(event, target) is None:
                put(event, target, value)


class Set(_Mapping):
    """Set constant fields (where missing)."""

    name = "set"

    def __call__(self, event: Event) -> None:
        for path, value in self._pairs.items():
            if get(event, path) is None:
                put(event, path, value)


class Remove(Step):
    name = "remove"
    options = frozenset({"fields"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._fields = list(spec.get("fields") or [])

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            pop(event, path)


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
        self._fields = list(spec.get("fields") or [])

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            value = get(event, path)
            if isinstance(value, str):
                put(event, path, value.lower())


class Map(Step):
    """Translate a field's value through a table (e.g. PHP error levels to log.level)."""

    name = "map"
    options = frozenset({"field", "target", "values", "default"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = spec["field"]
        self._target = spec.get("target", self._field)
        self._values = dict(spec.get("values") or {})
        self._default = spec.get("default")

    def __call__(self, event: Event) -> None:
        value = get(event, self._field)
        if value is None:
            return
        mapped = self._values.get(value, self._default)
        if mapped is not None:
            put(event, self._target, mapped)


class Json(Step):
    """Decode a JSON message (JSON access logs); ``target`` omitted merges into the event."""

    name = "json"
    options = frozenset({"field", "target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = spec.get("field", "message")
        self._target: str | None = spec.get("target")

    def __call__(self, event: Event) -> None:
        raw = get(event, self._field)
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
                put(event, key, value)
        else:
            put(event, self._target, decoded)


class Ip(Step):
    """An address that is an IP goes to ``target`` (an ECS ip field), anything else to ``fallback``."""

    name = "ip"
    options = frozenset({"field", "target", "fallback"})
    _IP = regex.compile(r"^(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*)$")

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._field = spec["field"]
        self._target = spec.get("target", "source.ip")
        self._fallback = spec.get("fallback", "source.domain")

    def __call__(self, event: Event) -> None:
        value = pop(event, self._field)
        if isinstance(value, str) and value not in ("-", ""):
            put(event, self._target if self._IP.match(value) else self._fallback, value)


_QUOTED = regex.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_HEX = regex.compile(r"\b0x[0-9a-fA-F]+\b|\b(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b")
_NUMBER = regex.compile(r"\d+(?:\.\d+)?")


def normalise_message(message: str) -> str:
    """What stays of an error message once the values that vary per occurrence are gone."""
    text = _QUOTED.sub("<v>", message)
    text = _HEX.sub("<id>", text)
    text = _NUMBER.sub("<n>", text)
    return " ".join(text.split())


def grouping_key(error_type: str, message: str, file: str, line: str | int) -> str:
    raw = "\x1f".join((error_type, normalise_message(message), file, str(line)))
    return hashlib.blake2b(raw.encode(), digest_size=16).hexdigest()


class GroupingKey(Step):
    """``error.grouping_key``: same error type + normalised message + origin file + line -> same key."""

    name = "grouping_key"
    options = frozenset({"target"})

    def __init__(self, spec: dict[str, Any], context: Context) -> None:
        super().__init__(spec, context)
        self._target = spec.get("target", "error.grouping_key")

    def __call__(self, event: Event) -> None:
        error = event.get("error")
        if not isinstance(error, dict) or not (error.get("type") or error.get("message")):
            return
        origin = get(event, "log.origin.file") or {}
        put(
            event,
            self._target,
            grouping_key(
                str(error.get("type") or ""),
                str(error.get("message") or "").split("\n", 1)[0],
                str(origin.get("name") or ""),
                origin.get("line") or "",
            ),
        )


STEPS: dict[str, type[Step]] = {
    cls.name: cls
    for cls in (Grok, Date, Convert, Scale, Rename, Copy, Set, Remove, Tag, Lowercase, Map, Json, Ip, GroupingKey)
}

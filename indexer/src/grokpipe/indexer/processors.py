"""Pipeline steps: small classes compiled once, each mapping an event (in place) to the next.

Every step takes its options as a validated model (:mod:`grokpipe.indexer.options`), so a bad
option fails at load time naming the key; the step copies what it needs into plain attributes.
A step never drops an event: what it cannot do it records as a tag.
"""

from __future__ import annotations

import ipaddress
import math
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, ClassVar

import orjson
import regex

from grokpipe.envelope import TAG_DATE_PARSE_FAILURE, TAG_GROK_TIMEOUT
from grokpipe.fieldnames import ERROR_CULPRIT, ERROR_TITLE
from grokpipe.indexer.dates import DateParser
from grokpipe.indexer.fields import Event, FieldPath, add_tag, compile_path, get, get_at, pop, pop_at, put, put_at
from grokpipe.indexer.fingerprint import ErrorFacts, Grouping, custom_key, fingerprint
from grokpipe.indexer.grok import PatternLibrary
from grokpipe.indexer.options import (
    ConvertOptions,
    CopyOptions,
    DateOptions,
    FingerprintOptions,
    GrokOptions,
    GroupingKeyOptions,
    IpOptions,
    JsonOptions,
    LowercaseOptions,
    MapOptions,
    Options,
    RemoveOptions,
    RenameOptions,
    ScaleOptions,
    SentryOptions,
    SetOptions,
    TagOptions,
    When,
)
from grokpipe.indexer.sentry import ecs as sentry_ecs

TAG_JSON_PARSE_FAILURE = "_jsonparsefailure"
#: A step read only part of a long field (see each step's bound in docs/bounds.md).
TAG_GROK_LIMIT = "_groklimit"
TAG_GROUPING_LIMIT = "_groupinglimit"


class Step:
    """Base: ``when`` (``{exists: path}``, ``{missing: path}``, ``{equals: {path: value}}``) guards a step.

    Steps compile their field paths here and in their ``__init__`` (:func:`compile_path`), not per
    event; ``guarded`` is False for a step without ``when``, so the pipeline skips :meth:`applies`.
    """

    name: ClassVar[str]

    def __init__(self, options: Options, context: Context) -> None:
        when = options.when or When()
        self._exists: FieldPath | None = None if when.exists is None else compile_path(when.exists)
        self._missing: FieldPath | None = None if when.missing is None else compile_path(when.missing)
        self._equals = tuple((compile_path(path), value) for path, value in when.equals.items())
        self.guarded = bool(self._exists is not None or self._missing is not None or self._equals)

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

    def __init__(
        self,
        library: PatternLibrary,
        grok_timeout: float,
        timezone: str,
        grok_max_chars: int = 65_536,
        event_budget: float = 1.0,
    ) -> None:
        self.library = library
        self.grok_timeout = grok_timeout
        self.timezone = timezone
        self.grok_max_chars = grok_max_chars
        self.event_budget = event_budget


class Grok(Step):
    """First matching expression wins; its captures become fields."""

    name = "grok"

    def __init__(self, spec: GrokOptions | Mapping[str, Any], context: Context) -> None:
        options = GrokOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._groks = [context.library.compile(p) for p in options.patterns]
        self._tag = options.tag_on_failure  # None: no tag
        self._timeout = context.grok_timeout
        self._max_chars = context.grok_max_chars

    def __call__(self, event: Event) -> None:
        text = get_at(event, self._field)
        if not isinstance(text, str):
            if self._tag:
                add_tag(event, self._tag)
            return
        if len(text) > self._max_chars:  # searched in its head only: a search's time grows with the text
            text = text[: self._max_chars]
            add_tag(event, TAG_GROK_LIMIT)
        for grok in self._groks:
            try:
                if grok.store(event, text, timeout=self._timeout):  # captures put in place
                    return
            except TimeoutError:
                add_tag(event, TAG_GROK_TIMEOUT)
                return
        if self._tag:
            add_tag(event, self._tag)


class Date(Step):
    name = "date"

    def __init__(self, spec: DateOptions | Mapping[str, Any], context: Context) -> None:
        options = DateOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._target = compile_path(options.target)
        self._pop_field = not options.keep and self._field != self._target
        self._parser = DateParser(options.formats or ["ISO8601"], options.timezone or context.timezone)

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

    def __init__(self, spec: ConvertOptions | Mapping[str, Any], context: Context) -> None:
        options = ConvertOptions.coerce(spec)
        super().__init__(options, context)
        self._paths = tuple((compile_path(path), kind) for path, kind in options.fields.items())

    def __call__(self, event: Event) -> None:
        for path, kind in self._paths:
            value = get_at(event, path)
            if value is None:
                continue
            if type(value) is self._KINDS.get(kind) and (kind != "float" or math.isfinite(value)):
                continue  # already that type (grok's :int casts): converting would put it back as it is
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

    def __init__(self, spec: ScaleOptions | Mapping[str, Any], context: Context) -> None:
        options = ScaleOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._factor = options.factor
        # 0.000001 is applied as a division by 1,000,000: 15320 µs is then 0.01532 s, not 0.015319999999999999
        inverse = 1 / options.factor if 0 < options.factor < 1 else 0.0
        self._divisor = round(inverse) if inverse and abs(inverse - round(inverse)) < 1e-6 else None
        self._target = compile_path(options.target or options.field)

    def __call__(self, event: Event) -> None:
        value = pop_at(event, self._field) if self._target != self._field else get_at(event, self._field)
        if value is None:
            return
        try:
            scaled = float(value) / self._divisor if self._divisor else float(value) * self._factor
        except (TypeError, ValueError):
            add_tag(event, "_convertfailure")
            return
        put_at(event, self._target, int(scaled) if scaled.is_integer() else scaled)


class _Mapping(Step):
    """Steps whose options are a mapping of field paths (rename, copy, set)."""

    @staticmethod
    def _path_pairs(options: RenameOptions | CopyOptions) -> tuple[tuple[FieldPath, FieldPath], ...]:
        return tuple((compile_path(source), compile_path(target)) for source, target in options.fields.items())


class Rename(_Mapping):
    name = "rename"

    def __init__(self, spec: RenameOptions | Mapping[str, Any], context: Context) -> None:
        options = RenameOptions.coerce(spec)
        super().__init__(options, context)
        self._paths = self._path_pairs(options)

    def __call__(self, event: Event) -> None:
        for source, target in self._paths:
            value = pop_at(event, source)
            if value not in (None, "", "-"):  # nginx writes "-" and "" for absent values
                put_at(event, target, value)


class Copy(_Mapping):
    """Copy a field where the target is still missing."""

    name = "copy"

    def __init__(self, spec: CopyOptions | Mapping[str, Any], context: Context) -> None:
        options = CopyOptions.coerce(spec)
        super().__init__(options, context)
        self._paths = self._path_pairs(options)

    def __call__(self, event: Event) -> None:
        for source, target in self._paths:
            value = get_at(event, source)
            if value is not None and get_at(event, target) is None:
                put_at(event, target, value)


class Set(_Mapping):
    """Set constant fields (where missing)."""

    name = "set"

    def __init__(self, spec: SetOptions | Mapping[str, Any], context: Context) -> None:
        options = SetOptions.coerce(spec)
        super().__init__(options, context)
        self._values = tuple((compile_path(path), value) for path, value in options.fields.items())

    def __call__(self, event: Event) -> None:
        for path, value in self._values:
            if get_at(event, path) is None:
                put_at(event, path, value)


class Remove(Step):
    name = "remove"

    def __init__(self, spec: RemoveOptions | Mapping[str, Any], context: Context) -> None:
        options = RemoveOptions.coerce(spec)
        super().__init__(options, context)
        self._fields = tuple(compile_path(path) for path in options.fields)

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            pop_at(event, path)


class Tag(Step):
    name = "tag"

    def __init__(self, spec: TagOptions | Mapping[str, Any], context: Context) -> None:
        options = TagOptions.coerce(spec)
        super().__init__(options, context)
        self._tags = list(options.tags)

    def __call__(self, event: Event) -> None:
        for tag in self._tags:
            add_tag(event, tag)


class Lowercase(Step):
    name = "lowercase"

    def __init__(self, spec: LowercaseOptions | Mapping[str, Any], context: Context) -> None:
        options = LowercaseOptions.coerce(spec)
        super().__init__(options, context)
        self._fields = tuple(compile_path(path) for path in options.fields)

    def __call__(self, event: Event) -> None:
        for path in self._fields:
            value = get_at(event, path)
            if isinstance(value, str):
                put_at(event, path, value.lower())


class Map(Step):
    """Translate a field's value through a table (e.g. PHP error levels to log.level)."""

    name = "map"

    def __init__(self, spec: MapOptions | Mapping[str, Any], context: Context) -> None:
        options = MapOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._target = compile_path(options.target or options.field)
        self._values = dict(options.values)
        self._default = options.default

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

    def __init__(self, spec: JsonOptions | Mapping[str, Any], context: Context) -> None:
        options = JsonOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._target: FieldPath | None = None if options.target is None else compile_path(options.target)

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

    def __init__(self, spec: IpOptions | Mapping[str, Any], context: Context) -> None:
        options = IpOptions.coerce(spec)
        super().__init__(options, context)
        self._field = compile_path(options.field)
        self._target = compile_path(options.target)
        self._fallback = compile_path(options.fallback)

    def __call__(self, event: Event) -> None:
        value = pop_at(event, self._field)
        if isinstance(value, str) and value not in ("-", ""):
            ip = _IPV4.fullmatch(value) is not None or is_ip(value)  # the common case without ipaddress
            put_at(event, self._target if ip else self._fallback, value)


#: Exactly the IPv4 addresses ``ipaddress`` takes (four ASCII decimal octets 0-255, no leading
#: zero): a match costs a tenth of ``ip_address``, which a log's many distinct clients would miss
#: in the cache below.
_IPV4 = regex.compile(
    r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}"
)


@lru_cache(maxsize=4096)  # a log's client addresses repeat: a hit costs a tenth of a parse
def is_ip(text: str) -> bool:
    """An IPv4 or IPv6 address as Elasticsearch's ``ip`` type takes it (``999.1.1.1``, ``01.2.3.4``,
    a zone ``fe80::1%eth0`` or a port are not)."""
    if "%" in text:
        return False
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


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

    def __init__(self, spec: GroupingKeyOptions | Mapping[str, Any], context: Context) -> None:
        options = GroupingKeyOptions.coerce(spec)
        super().__init__(options, context)
        self._target = options.target
        prefixes = options.library_prefixes + options.extra_library_prefixes
        self._grouping = Grouping(frozenset(level.lower() for level in options.levels), prefixes)
        self._message_fields = options.message_fields
        self._logger_fields = options.logger_fields

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
        if found.bounded:
            add_tag(event, TAG_GROUPING_LIMIT)
        put(event, self._target, found.key)
        put(event, ERROR_TITLE, found.title)
        if found.culprit:
            put(event, ERROR_CULPRIT, found.culprit)
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

    def __init__(self, spec: FingerprintOptions | Mapping[str, Any], context: Context) -> None:
        options = FingerprintOptions.coerce(spec)
        super().__init__(options, context)
        self._fields: tuple[str | None, ...] = tuple(None if _DEFAULT.match(f) else f for f in options.fields)
        self._target = options.target

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


class SentryEvent(Step):
    """A Sentry event, log record or check-in from the shipper's Sentry input as ECS fields, with
    Sentry-like grouping: see :mod:`indexer.sentry`."""

    name = "sentry"

    def __init__(self, spec: SentryOptions | Mapping[str, Any], context: Context) -> None:
        super().__init__(SentryOptions.coerce(spec), context)

    def __call__(self, event: Event) -> None:
        sentry_ecs.apply(event)


_STEP_TYPES: tuple[type[Step], ...] = (
    Grok, Date, Convert, Scale, Rename, Copy, Set, Remove, Tag, Lowercase, Map, Json, Ip, GroupingKey, FingerprintRule,
    SentryEvent,
)  # fmt: skip
STEPS: dict[str, type[Step]] = {cls.name: cls for cls in _STEP_TYPES}

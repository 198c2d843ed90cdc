"""Lucene (what Kibana users type) → Elasticsearch DSL, typed by the live mapping; raw DSL vetting.

Numeric, date, ip and boolean fields get ``term``/``range`` queries, keyword fields ``term`` or
``wildcard``, text fields ``match``/``match_phrase``: never ``query_string``, whose handling of
numbers is analyzer-dependent. Terms without a field search ``message``. Implicit operators
(``a b``) mean AND, like Kibana's KQL.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from luqum import tree
from luqum.exceptions import IllegalCharacterError, ParseError
from luqum.parser import parser

from grokpipe.api.errors import InvalidRule
from grokpipe.api.search import hints

NUMERIC = frozenset(
    {"long", "integer", "short", "byte", "double", "float", "half_float", "scaled_float", "unsigned_long"}
)
EXACT = frozenset({"keyword", "constant_keyword", "wildcard", "ip", "boolean", "date", "date_nanos", *NUMERIC})
TEXT = frozenset({"text", "match_only_text"})
DEFAULT_FIELD = "message"
#: Keys whose presence means server-side code or schema changes at query time.
FORBIDDEN_DSL_KEYS = frozenset(
    {
        "script",
        "scripts",
        "script_score",
        "script_fields",
        "runtime_mappings",
        "scripted_metric",
        "bucket_script",
        "bucket_selector",
        "percolate",
    }
)
_LEAF_QUERIES = frozenset(
    {"term", "terms", "range", "match", "match_phrase", "prefix", "wildcard", "regexp", "fuzzy", "match_bool_prefix"}
)
_POSITION = re.compile(r"at position (\d+)")

FieldTypes = Mapping[str, str]


def lucene_to_dsl(text: str, fields: FieldTypes) -> dict[str, Any]:
    """Parse ``text`` and convert it; raise :class:`InvalidRule` with reason and position."""
    if not text.strip():
        return {"match_all": {}}
    try:
        node = parser.parse(text)
    except (IllegalCharacterError, ParseError) as exc:
        hints.check_syntax(text)  # an unclosed parenthesis or quote, named as such
        raise InvalidRule("query syntax error", reason=str(exc), position=_position(str(exc), text)) from None
    unknown = sorted(_unknown_fields(node, fields)) if fields else []
    if unknown:
        raise hints.unknown_fields(unknown, fields)
    return _Converter(fields).convert(node, None)


def vet_dsl(query: Mapping[str, Any], fields: FieldTypes) -> dict[str, Any]:
    """Reject server-side code and unknown fields in a raw DSL query; return it unchanged."""
    if not isinstance(query, Mapping) or len(query) != 1:
        raise InvalidRule("a DSL query is an object with exactly one query type", reason="shape")
    found_code: list[str] = []
    used: set[str] = set()

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            for key, sub in value.items():
                if key in FORBIDDEN_DSL_KEYS:
                    found_code.append(f"{path}{key}")
                if key in _LEAF_QUERIES and isinstance(sub, Mapping):
                    used.update(k for k in sub if k not in {"boost", "_name", "format", "time_zone"})
                if key == "exists" and isinstance(sub, Mapping) and isinstance(sub.get("field"), str):
                    used.add(sub["field"])
                walk(sub, f"{path}{key}.")
        elif isinstance(value, list):
            for i, item in enumerate(value):
                walk(item, f"{path}{i}.")

    walk(query, "")
    if found_code:
        raise InvalidRule("server-side code is not allowed in rule queries", reason="script", paths=found_code)
    unknown = sorted(f for f in used if fields and f not in fields)
    if unknown:
        raise hints.unknown_fields(unknown, fields)
    return dict(query)


def _position(message: str, text: str) -> int:
    match = _POSITION.search(message)
    return int(match.group(1)) if match else len(text)


def _unknown_fields(node: tree.Item, fields: FieldTypes) -> set[str]:
    found: set[str] = set()
    if isinstance(node, tree.SearchField):
        if node.name == "_exists_":
            name = str(node.expr).strip('"')
            if name not in fields:
                found.add(name)
        elif node.name not in fields:
            found.add(node.name)
    for child in node.children:
        found |= _unknown_fields(child, fields)
    return found


class _Converter:
    def __init__(self, fields: FieldTypes) -> None:
        self.fields = fields

    def convert(self, node: tree.Item, field: str | None) -> dict[str, Any]:
        if isinstance(node, tree.SearchField):
            if node.name == "_exists_":
                return {"exists": {"field": str(node.expr).strip('"')}}
            return self.convert(node.expr, node.name)
        if isinstance(node, tree.Group | tree.FieldGroup):
            return self.convert(node.expr, field)
        if isinstance(node, tree.AndOperation | tree.UnknownOperation):
            return self._bool([self.convert(c, field) for c in node.children], "filter", node.children)
        if isinstance(node, tree.OrOperation):
            return {"bool": {"should": [self.convert(c, field) for c in node.children], "minimum_should_match": 1}}
        if isinstance(node, tree.Not | tree.Prohibit):
            return {"bool": {"must_not": [self.convert(node.a, field)]}}
        if isinstance(node, tree.Plus):
            return self.convert(node.a, field)
        if isinstance(node, tree.Boost):
            return self.convert(node.expr, field)
        if isinstance(node, tree.Range):
            return self._range(
                field, node.low.value, node.high.value, inc_low=node.include_low, inc_high=node.include_high, node=node
            )
        if isinstance(node, tree.From):
            return self._range(field, node.a.value, "*", inc_low=node.include, inc_high=True, node=node)
        if isinstance(node, tree.To):
            return self._range(field, "*", node.a.value, inc_low=True, inc_high=node.include, node=node)
        if isinstance(node, tree.Phrase):
            return self._value(field, node.value[1:-1], phrase=True, node=node)
        if isinstance(node, tree.Regex):
            return {"regexp": {field or DEFAULT_FIELD: node.value[1:-1]}}
        if isinstance(node, tree.Fuzzy):
            return {"fuzzy": {field or DEFAULT_FIELD: {"value": node.term.value, "fuzziness": int(node.degree)}}}
        if isinstance(node, tree.Proximity):
            return {"match_phrase": {field or DEFAULT_FIELD: {"query": node.term.value[1:-1], "slop": node.degree}}}
        if isinstance(node, tree.Word):
            return self._value(field, node.value, phrase=False, node=node)
        raise InvalidRule("unsupported query construct", reason=type(node).__name__, position=node.pos or 0)

    @staticmethod
    def _bool(clauses: list[dict[str, Any]], occur: str, _children: Any) -> dict[str, Any]:
        return {"bool": {occur: clauses}}

    def _kind(self, field: str) -> str:
        return self.fields.get(field, "text" if field == DEFAULT_FIELD else "keyword")

    def _value(self, field: str | None, value: str, *, phrase: bool, node: tree.Item) -> dict[str, Any]:
        name = field or DEFAULT_FIELD
        kind = self._kind(name)
        if value == "*" and not phrase:
            return {"exists": {"field": name}}
        value = value.replace("\\", "") if "\\" in value else value
        if kind in NUMERIC:
            return {"term": {name: self._number(name, value, node)}}
        if kind == "boolean":
            return {"term": {name: value.lower() == "true"}}
        if kind in {"date", "date_nanos"}:
            return {"range": {name: {"gte": value, "lte": value}}}
        if kind in TEXT:
            return {"match_phrase" if phrase else "match": {name: value}}
        if not phrase and ("*" in value or "?" in value):
            return {"wildcard": {name: {"value": value}}}
        return {"term": {name: value}}

    def _number(self, field: str, value: str, node: tree.Item) -> int | float:
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                raise InvalidRule(
                    f"field {field} is numeric, got {value!r}",
                    reason="not a number",
                    position=node.pos or 0,
                    fields=[field],
                ) from None

    def _range(
        self, field: str | None, low: str, high: str, *, inc_low: bool, inc_high: bool, node: tree.Item
    ) -> dict[str, Any]:
        name = field or DEFAULT_FIELD
        numeric = self._kind(name) in NUMERIC
        bounds: dict[str, Any] = {}
        if low != "*":
            bounds["gte" if inc_low else "gt"] = self._number(name, low, node) if numeric else low
        if high != "*":
            bounds["lte" if inc_high else "lt"] = self._number(name, high, node) if numeric else high
        return {"range": {name: bounds}}

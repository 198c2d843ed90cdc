"""ElastAlert2 rule files -> grokpipe rule bodies (``grokpipe rules import``), and what could not be converted.

Pure: a parsed YAML document in, a :class:`Conversion` out. The result still goes through the API's own
validation (``POST /rules``): this module only translates names and shapes.

=================  ===============================================================================
ElastAlert2        grokpipe
=================  ===============================================================================
any                condition {type: any}
frequency          condition {type: threshold, count: num_events}, window: timeframe
flatline           condition {type: flatline, count: threshold}, window: timeframe
spike              condition {type: spike, ratio: spike_height, direction: spike_type, min_count:
                   threshold_cur}, window: timeframe
new_term           condition {type: new_term, field: fields[0], history: terms_window_size}; the field as
                   written (ElastAlert2 reads its history from field.keyword unless use_keyword_postfix:
                   false): a note says so
cardinality        condition {type: metric, agg: cardinality, field: cardinality_field, op/value:
                   max_cardinality (above) or min_cardinality (below)}
metric_aggregation condition {type: metric, agg: metric_agg_type, field: metric_agg_key, op/value:
                   max_threshold (above) or min_threshold (below)}
change,            not converted: no grokpipe condition compares events with each other or computes
percentage_match   a share of matches
query_key          group_by
filter             query (Lucene) from query_string, term, terms, match, match_phrase, wildcard,
                   prefix, range, exists and bool; anything else: the filters as dsl
realert, timeframe durations ({minutes: 5} -> 5m); realert defaults to ElastAlert's 1 minute
alert              notify: email, slack, dingtalk, post/post2 (webhook) -> notifier names
=================  ===============================================================================
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: ElastAlert alerter -> the notifier type it becomes (the notifier's name comes from the caller's map)
ALERTERS = {"email": "email", "slack": "slack", "dingtalk": "dingtalk", "post": "webhook", "post2": "webhook"}
_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))
_SECONDS = {"weeks": 604800, "days": 86400, "hours": 3600, "minutes": 60, "seconds": 1, "milliseconds": 0.001}
_METRIC_AGGS = {"min", "max", "avg", "sum", "cardinality"}
#: keys that set up an alerter, the Elasticsearch connection or output formatting: api.yml's business
_ELSEWHERE = (
    "email",
    "smtp_",
    "from_addr",
    "reply_to",
    "cc",
    "bcc",
    "slack_",
    "dingtalk_",
    "http_post",
    "alert_text",
    "alert_subject",
    "es_",
    "use_ssl",
    "verify_certs",
    "ca_certs",
)
_HANDLED = {
    "name",
    "description",
    "index",
    "type",
    "filter",
    "query_key",
    "realert",
    "timeframe",
    "alert",
    "num_events",
    "threshold",
    "spike_height",
    "spike_type",
    "threshold_cur",
    "fields",
    "terms_window_size",
    "cardinality_field",
    "max_cardinality",
    "min_cardinality",
    "metric_agg_key",
    "metric_agg_type",
    "max_threshold",
    "min_threshold",
    "timestamp_field",
    "run_every",
    "query_delay",
    "buffer_time",
    "is_enabled",
    "use_keyword_postfix",
    "alert_on_new_data",
}


class NotConvertible(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Conversion:
    """A grokpipe rule body (None: the rule could not be converted) and what was left out, and why."""

    name: str
    rule: dict[str, Any] | None
    skipped: list[str] = field(default_factory=list)


def duration(value: Any, key: str) -> str:
    """``{hours: 4}`` -> ``4h``; ``{minutes: 90}`` -> ``90m``; a number is seconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    elif isinstance(value, Mapping) and value and all(k in _SECONDS for k in value):
        seconds = sum(float(v) * _SECONDS[k] for k, v in value.items())
    else:
        raise NotConvertible(f"{key}: {value!r} is not a duration like {{minutes: 5}}")
    whole = round(seconds)
    if whole <= 0:
        return "0s"
    return next(f"{whole // size}{unit}" for unit, size in _UNITS if whole % size == 0)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value))  # a quoted phrase: spaces, colons and Lucene operators stay literal


def _field_value(body: Any, kind: str) -> tuple[str, Any]:
    if not isinstance(body, Mapping) or len(body) != 1:
        raise NotConvertible(f"{kind} with more than one field")
    name, value = next(iter(body.items()))
    if isinstance(value, Mapping):
        value = value.get("value", value.get("query"))
    return str(name), value


def lucene(node: Any) -> str:
    """One ElastAlert filter (Elasticsearch query DSL) as Lucene; :class:`NotConvertible` otherwise."""
    if not isinstance(node, Mapping) or len(node) != 1:
        raise NotConvertible(f"filter entry {node!r} is not one query")
    kind, body = next(iter(node.items()))
    if kind == "query" and isinstance(body, Mapping):  # ElastAlert's older {query: {query_string: ...}}
        return lucene(body)
    if kind == "query_string":
        text = body.get("query") if isinstance(body, Mapping) else None
        if not isinstance(text, str):
            raise NotConvertible("query_string without a query")
        return f"({text})"
    if kind in ("term", "match", "match_phrase"):
        name, value = _field_value(body, kind)
        return f"{name}:{_value(value)}"
    if kind == "terms":
        if not isinstance(body, Mapping) or len(body) != 1:
            raise NotConvertible("terms with more than one field")
        name, values = next(iter(body.items()))
        if not isinstance(values, list) or not values:
            raise NotConvertible(f"terms of {name} is not a list of values")
        return f"{name}:({' OR '.join(_value(v) for v in values)})"
    if kind in ("wildcard", "prefix"):
        name, value = _field_value(body, kind)
        pattern = str(value) + ("*" if kind == "prefix" else "")
        escaped = "".join(f"\\{c}" if c in ' +-=&|><!(){}[]^"~:\\/' else c for c in pattern)
        return f"{name}:{escaped}"
    if kind == "exists":
        if not isinstance(body, Mapping) or not isinstance(body.get("field"), str):
            raise NotConvertible("exists without a field")
        return f"_exists_:{body['field']}"
    if kind == "range":
        return _range(body)
    if kind == "bool":
        return _bool(body)
    raise NotConvertible(f"{kind} queries have no Lucene form")


def _range(body: Any) -> str:
    if not isinstance(body, Mapping) or len(body) != 1:
        raise NotConvertible("range with more than one field")
    name, bounds = next(iter(body.items()))
    if not isinstance(bounds, Mapping) or not set(bounds) <= {"gt", "gte", "lt", "lte", "format", "time_zone"}:
        raise NotConvertible(f"range of {name} with other keys than gt, gte, lt, lte")
    if "format" in bounds or "time_zone" in bounds:
        raise NotConvertible(f"range of {name} with a format or time zone")
    low = next(((k, bounds[k]) for k in ("gte", "gt") if k in bounds), None)
    high = next(((k, bounds[k]) for k in ("lte", "lt") if k in bounds), None)
    left = "[" if low is None or low[0] == "gte" else "{"
    right = "]" if high is None or high[0] == "lte" else "}"
    lo = _value(low[1]) if low else "*"
    hi = _value(high[1]) if high else "*"
    return f"{name}:{left}{lo} TO {hi}{right}"


def _bool(body: Any) -> str:
    if not isinstance(body, Mapping):
        raise NotConvertible("bool is not an object")
    extra = set(body) - {"must", "filter", "should", "must_not", "minimum_should_match"}
    if extra:
        raise NotConvertible(f"bool with {', '.join(sorted(extra))}")

    def items(key: str) -> list[Any]:
        value = body.get(key) or []
        return list(value) if isinstance(value, list) else [value]

    parts = [lucene(q) for q in items("must") + items("filter")]
    should = [lucene(q) for q in items("should")]
    minimum = body.get("minimum_should_match")
    if should:
        if minimum not in (None, 1, "1") and len(should) > 1:
            raise NotConvertible("bool.should with minimum_should_match above 1")
        if parts and minimum is None:  # with must/filter, should only scores: it filters nothing
            should = []
        else:
            parts.append("(" + " OR ".join(should) + ")")
    parts += [f"NOT {lucene(q)}" for q in items("must_not")]
    if not parts:
        return "*"
    return "(" + " AND ".join(parts) + ")"


def query(filters: Any) -> tuple[str | None, dict[str, Any] | None, str | None]:
    """(Lucene, None, None), or (None, dsl, why not Lucene) for an ElastAlert ``filter`` list."""
    if filters in (None, []):
        return None, None, None
    entries = filters if isinstance(filters, list) else [filters]
    try:
        parts = [lucene(f) for f in entries]
    except NotConvertible as exc:
        return None, {"bool": {"filter": entries}}, exc.reason
    text = " AND ".join(parts)
    if len(parts) == 1 and text.startswith("(") and text.endswith(")") and _balanced(text[1:-1]):
        text = text[1:-1]
    return text, None, None


def _balanced(text: str) -> bool:
    depth = 0
    for char in text:
        depth += {"(": 1, ")": -1}.get(char, 0)
        if depth < 0:
            return False
    return depth == 0


def condition(doc: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """The grokpipe condition of an ElastAlert ``type``, and notes on what it leaves out."""
    kind = doc.get("type")
    notes: list[str] = []
    if kind == "any":
        return {"type": "any"}, notes
    if kind == "frequency":
        return {"type": "threshold", "count": int(_required(doc, "num_events"))}, notes
    if kind == "flatline":
        if doc.get("query_key"):
            notes.append(
                "flatline: ElastAlert2 fires for a query_key value only once it has watched it for a timeframe; "
                "grokpipe also fires for a value first seen less than a window ago"
            )
        return {"type": "flatline", "count": int(_required(doc, "threshold"))}, notes
    if kind == "spike":
        direction = str(doc.get("spike_type", "both"))
        if direction not in ("up", "down", "both"):
            raise NotConvertible(f"spike_type {direction!r} is not up, down or both")
        out: dict[str, Any] = {"type": "spike", "ratio": float(_required(doc, "spike_height")), "direction": direction}
        if "threshold_cur" in doc:
            out["min_count"] = int(doc["threshold_cur"])
        if "threshold_cur" in doc and direction != "up":
            notes.append(
                "threshold_cur: ElastAlert2 wants it of the current window, also for a dip; grokpipe's min_count "
                "is met by either window, so a dip to fewer events fires too"
            )
        if "threshold_ref" in doc:
            notes.append("threshold_ref: grokpipe's spike has no minimum for the reference window")
        if doc.get("query_key") and not doc.get("alert_on_new_data"):
            notes.append(
                "spike: ElastAlert2 fires for a query_key value only once it has watched it for two timeframes "
                "(alert_on_new_data: false); grokpipe also fires for a value first seen in the window"
            )
        return out, notes
    if kind == "new_term":
        fields = doc.get("fields")
        names = fields if isinstance(fields, list) else [fields] if fields else []
        if len(names) != 1 or not isinstance(names[0], str):
            raise NotConvertible("new_term: grokpipe watches one field (not several, nor a composite of fields)")
        out = {"type": "new_term", "field": names[0]}
        if doc.get("use_keyword_postfix", True) and not names[0].endswith((".keyword", ".raw")):
            notes.append(
                f"use_keyword_postfix: ElastAlert2 reads the terms already seen from {names[0]}.keyword; "
                f"grokpipe watches {names[0]} itself, which must be a keyword field (if {names[0]} is text, "
                f"write {names[0]}.keyword)"
            )
        if "terms_window_size" in doc:
            out["history"] = duration(doc["terms_window_size"], "terms_window_size")
        else:
            out["history"] = "30d"  # ElastAlert's default
        return out, notes
    if kind == "cardinality":
        out = {"type": "metric", "agg": "cardinality", "field": str(_required(doc, "cardinality_field"))}
        return _bounded(out, doc, "max_cardinality", "min_cardinality", notes), notes
    if kind == "metric_aggregation":
        agg = str(_required(doc, "metric_agg_type"))
        if agg not in _METRIC_AGGS:
            raise NotConvertible(f"metric_agg_type {agg!r}: grokpipe has {', '.join(sorted(_METRIC_AGGS))}")
        out = {"type": "metric", "agg": agg, "field": str(_required(doc, "metric_agg_key"))}
        return _bounded(out, doc, "max_threshold", "min_threshold", notes), notes
    if kind == "change":
        raise NotConvertible(
            "type change: no grokpipe condition compares a field between events "
            "(new_term on the compare_key field is the nearest)"
        )
    if kind == "percentage_match":
        raise NotConvertible("type percentage_match: no grokpipe condition computes a share of matches")
    raise NotConvertible(f"type {kind!r} has no grokpipe condition")


def _required(doc: Mapping[str, Any], key: str) -> Any:
    if key not in doc:
        raise NotConvertible(f"type {doc.get('type')} needs {key}")
    return doc[key]


def _bounded(out: dict[str, Any], doc: Mapping[str, Any], above: str, below: str, notes: list[str]) -> dict[str, Any]:
    if above in doc:
        if below in doc:
            notes.append(f"{below}: grokpipe's metric has one bound; {above} was kept")
        return out | {"op": "above", "value": float(doc[above])}
    if below in doc:
        return out | {"op": "below", "value": float(doc[below])}
    raise NotConvertible(f"type {doc.get('type')} needs {above} or {below}")


def notify(alert: Any, names: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Notifier names for ElastAlert's ``alert`` (strings or ``{type: {...}}``), and the alerters left out."""
    entries = alert if isinstance(alert, list) else [alert] if alert else []
    found: list[str] = []
    skipped: list[str] = []
    for entry in entries:
        kind = next(iter(entry)) if isinstance(entry, Mapping) and entry else entry
        kind = str(kind).rsplit(".", 1)[-1].removesuffix("Alerter").lower() if kind else ""
        if kind not in ALERTERS:
            skipped.append(f"alert {kind!r}: grokpipe notifies by email, slack, dingtalk and webhook")
            continue
        name = names.get(kind) or names.get(ALERTERS[kind]) or ALERTERS[kind]
        if name not in found:
            found.append(name)
    return found, skipped


def convert(doc: Mapping[str, Any], notifier_names: Mapping[str, str] | None = None) -> Conversion:
    """One ElastAlert2 rule document as a grokpipe rule body."""
    name = str(doc.get("name") or "")
    if not name:
        return Conversion("(no name)", None, ["name: an ElastAlert rule needs one"])
    try:
        cond, skipped = condition(doc)
    except NotConvertible as exc:
        return Conversion(name, None, [exc.reason])
    rule: dict[str, Any] = {"name": name, "condition": cond, "recovery": False}  # ElastAlert sends no recovery
    try:
        if doc.get("description"):
            rule["description"] = str(doc["description"])
        if doc.get("index"):
            rule["index"] = str(doc["index"])
            if "%" in rule["index"]:
                skipped.append("index: strftime patterns are not expanded; write a wildcard (logs-*)")
        if doc.get("timestamp_field"):
            rule["time_field"] = str(doc["timestamp_field"])
        if "is_enabled" in doc:
            rule["enabled"] = bool(doc["is_enabled"])
        window = doc.get("timeframe") or doc.get("buffer_time")
        if window is not None:
            rule["window"] = duration(window, "timeframe" if "timeframe" in doc else "buffer_time")
        if "run_every" in doc:
            rule["schedule"] = {"interval": duration(doc["run_every"], "run_every")}
        if "query_delay" in doc:
            rule["query_delay"] = duration(doc["query_delay"], "query_delay")
        rule["realert"] = duration(doc["realert"], "realert") if "realert" in doc else "1m"
    except NotConvertible as exc:
        return Conversion(name, None, [exc.reason])
    keys = doc.get("query_key")
    if keys:
        group_by = keys if isinstance(keys, list) else [keys]
        rule["group_by"] = [str(k) for k in group_by[:3]]
        if len(group_by) > 3:
            skipped.append(
                f"query_key: grokpipe groups by up to 3 fields; {', '.join(map(str, group_by[3:]))} left out"
            )
    text, dsl, why = query(doc.get("filter"))
    if text is not None:
        rule["query"] = text
    elif dsl is not None:
        rule["dsl"] = dsl
        skipped.append(f"filter: kept as dsl, not Lucene ({why})")
    names, left_out = notify(doc.get("alert"), notifier_names or {})
    rule["notify"] = names
    skipped += left_out
    for key in doc:
        if key in _HANDLED:
            continue
        if key.startswith(_ELSEWHERE):
            skipped.append(f"{key}: set on the notifier in api.yml's notifiers, not per rule")
        else:
            skipped.append(f"{key}: no grokpipe equivalent")
    return Conversion(name, rule, skipped)

"""JSON app logs: a message that is a JSON object becomes fields, before any dataset's pipeline.

The router runs :class:`JsonMessage` on every event, so every pipeline (and a dataset without one)
sees a JSON line (a whole file line, or a syslog message after its header) as fields: the keys of a
known shape (:mod:`grokpipe.indexer.jsonshapes`: gunicorn's JSON access log, python-json-logger,
structlog, ecs-logging, pino and bunyan, logrus, zap) go to their ECS fields, and every other key
is kept under ``json``, mapped ``flattened`` in the index template: one field in the mapping
however many keys apps invent, searchable as ``json.<key>: value``. A shape's message key becomes
``message``, and the line itself then goes to ``event.original`` (unless the shipper put the whole
syslog frame there). A ``exc_info``/``stack_trace``/``error.stack`` becomes ``error.stack_trace``
(with ``error.type`` and ``error.message`` from it), which the pipeline's ``grouping_key`` groups
as it groups a traceback read from a file.

Bad input is tagged, the text kept as it came, and costs bounded time:

* not JSON although it starts with ``{``, truncated, nested deeper than orjson's 1,024 levels:
  ``_jsonparsefailure``; a JSON value that is not an object (``[1, 2]``): ``_jsonparsefailure``;
* longer than ``MAX_BYTES`` (not decoded at all), more than ``MAX_KEYS`` keys kept under ``json``
  (the rest dropped from it), values deeper than ``MAX_DEPTH`` (kept as JSON text), an empty
  key: ``_jsonlimit``;
* a key that appears twice in one object (JSON decoders keep the last): ``_jsonduplicatekey``.
"""

from __future__ import annotations

from typing import Any

import orjson
import regex

from grokpipe.indexer import jsonshapes
from grokpipe.indexer.fields import Event, add_tag
from grokpipe.indexer.processors import Step

TAG_PARSE_FAILURE = "_jsonparsefailure"
TAG_LIMIT = "_jsonlimit"
TAG_DUPLICATE_KEY = "_jsonduplicatekey"
FIELD = "json"  #: the flattened object of keys no shape knows
MAX_BYTES = 256 * 1024
MAX_KEYS = 1000  #: leaf values under ``json``
MAX_DEPTH = 16  #: below Elasticsearch's flattened depth_limit (20)

# Every JSON string token, in order (a quote only ever opens or closes one); group 1 is set when
# the string is followed by a colon, i.e. is a key.
_STRING = regex.compile(r'"(?:[^"\\]|\\.)*"(\s*:)?')
_SPACED_COLON = regex.compile(r'"\s+:')


class JsonMessage(Step):
    """Decode ``message`` when it is a JSON object; the first step of every pipeline (see module doc)."""

    name = "json_message"

    def __init__(self) -> None:  # no options: not written in pipeline files, the router adds it
        self.guarded = False

    def __call__(self, event: Event) -> None:
        raw = event.get("message")
        if type(raw) is not str or not raw:
            return
        first = raw[0] if raw[0] in "{[" else raw.lstrip()[:1]
        if first == "{":
            self._object(event, raw)
        elif first == "[" and raw.rstrip().endswith("]") and '"' not in raw[:2]:
            try:  # "[2026-12-07 10:00:00] ..." is a log line, "[1, 2]" a JSON value that is not an object
                orjson.loads(raw)
            except orjson.JSONDecodeError:
                return
            add_tag(event, TAG_PARSE_FAILURE)

    def _object(self, event: Event, raw: str) -> None:
        if len(raw) > MAX_BYTES:
            add_tag(event, TAG_LIMIT)
            return
        try:
            record = orjson.loads(raw)
        except orjson.JSONDecodeError:  # truncated, not JSON, nested past orjson's recursion limit
            add_tag(event, TAG_PARSE_FAILURE)
            return
        if not isinstance(record, dict):
            add_tag(event, TAG_PARSE_FAILURE)
            return
        counted = _count_keys(record)
        if counted is None or counted < _keys_written(raw):
            add_tag(event, TAG_DUPLICATE_KEY)
        if counted is None:
            add_tag(event, TAG_LIMIT)
        _, rest = jsonshapes.apply(event, record)
        if event.get("message") is not raw:
            meta = event.setdefault("event", {})
            if isinstance(meta, dict):
                meta.setdefault("original", raw)
        if rest:
            kept, limited = _bounded(rest)
            if limited:
                add_tag(event, TAG_LIMIT)
            if kept:
                event[FIELD] = kept


def _keys_written(raw: str) -> int:
    """Keys in the JSON text, repeated ones included. Without a backslash or a space before a colon,
    every ``":`` ends a key (a string value cannot hold an unescaped quote): counted in C."""
    if "\\" in raw or _SPACED_COLON.search(raw) is not None:
        return sum(1 for match in _STRING.finditer(raw) if match.group(1))
    return raw.count('":')


def _count_keys(record: dict[str, Any], limit: int = 200_000) -> int | None:
    """Keys in every object of the record; None past ``limit`` (not worth comparing then)."""
    count = 0
    stack: list[Any] = [record]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            count += len(node)
            if count > limit:
                return None
            stack.extend(value for value in node.values() if isinstance(value, (dict, list)))
        else:
            stack.extend(value for value in node if isinstance(value, (dict, list)))
    return count


def _bounded(rest: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """``rest`` as ``json`` may hold it: at most MAX_KEYS leaves, MAX_DEPTH levels, no empty key."""
    budget = [MAX_KEYS]
    limited = [False]

    def copy(node: dict[str, Any], depth: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in node.items():
            if budget[0] <= 0:
                limited[0] = True
                break
            if not key or not key.strip("."):
                limited[0] = True
                continue
            if isinstance(value, dict) and value:
                if depth >= MAX_DEPTH:
                    limited[0] = True
                    out[key] = orjson.dumps(value).decode()[:MAX_BYTES]
                    budget[0] -= 1
                else:
                    out[key] = copy(value, depth + 1)
            elif isinstance(value, list) and any(isinstance(item, (dict, list)) for item in value):
                out[key] = orjson.dumps(value).decode()[:MAX_BYTES]  # flattened keeps leaves: arrays of objects as text
                budget[0] -= 1
            else:
                out[key] = value
                budget[0] -= 1
        return out

    return copy(rest, 1), limited[0]

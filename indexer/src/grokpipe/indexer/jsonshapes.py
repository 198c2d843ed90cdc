"""Known JSON log shapes -> ECS: which keys of a decoded JSON line are which ECS fields.

A shape is recognised by keys only its writer uses; its keys are then moved to their ECS fields,
converted (numbers, levels, times, stack traces), and every key a shape does not know is left for
the caller to keep (``jsonlogs.py`` puts them under the flattened ``json`` field). The shapes:

==================  ====================================================================  =========================
shape               recognised by                                                         writer
==================  ====================================================================  =========================
``ecs``             ``ecs.version`` (dotted keys are ECS already)                          ecs-logging (Python,
                                                                                          Java, Node.js, Go)
``gunicorn``        ``request`` + ``http_status_code`` or ``request_address``              gunicorn
                                                                                          ``access_log_format``
``gunicorn_legacy`` ``request_method`` + ``response_code``                                 (grokpipe's earlier form)
``pino``            a numeric ``level`` (pino, and bunyan with ``v``)                      pino, bunyan
``zap``             ``ts`` + ``msg``                                                       zap
``logrus``          ``msg`` + ``level`` + ``time``                                         logrus
``structlog``       ``event`` (a string: structlog's message key)                          structlog JSONRenderer
``python``          ``levelname`` or ``asctime``                                           python-json-logger
``generic``         anything else: ``message``/``msg``, ``level``/``severity`` only        -
==================  ====================================================================  =========================

Pure: a function of the decoded object; the event is written through ``put`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import regex

from grokpipe.envelope import format_timestamp
from grokpipe.indexer.dates import DateParser
from grokpipe.indexer.fields import Event, add_tag, get, put
from grokpipe.indexer.processors import is_ip

#: pino / bunyan numeric levels
NUMERIC_LEVELS = {10: "trace", 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal"}
#: Keys of an ``ecs`` line that would move the event (its id, its data stream) or claim the shipper's
#: fields: kept under ``json`` instead.
PROTECTED = (
    "event.id", "event.dataset", "event.ingested", "event.original", "data_stream", "agent", "input", "tags",
    "host.name",
)  # fmt: skip

_ISO = DateParser(["ISO8601"])
_HTTPDATE = DateParser(["HTTPDATE"])
_PYTHON_TIME = DateParser(["ISO8601", "%Y-%m-%d %H:%M:%S,%f"])
_REQUEST = regex.compile(r"^(?P<method>[A-Z]+) (?P<target>\S+)(?: HTTP/(?P<version>[\d.]+))?$")
_CALLER = regex.compile(r"^(?P<file>.+):(?P<line>\d+)$")
_EXCEPTION_LINE = regex.compile(r"^(?P<type>[\w.$]+)(?::\s?(?P<message>.*))?$")

Convert = Callable[[Event, Any], bool]  #: puts the value where it belongs; False: it did not fit


def _to(path: str) -> Convert:
    def convert(event: Event, value: Any) -> bool:
        if value in (None, "", "-") or isinstance(value, (dict, list)):
            return value in (None, "", "-")  # nginx and gunicorn write "-" for absent values
        put(event, path, value)
        return True

    return convert


def _integer(path: str) -> Convert:
    def convert(event: Event, value: Any) -> bool:
        if isinstance(value, bool):
            return False
        if isinstance(value, int):
            put(event, path, value)
            return True
        if isinstance(value, str) and value.strip().isdigit():
            put(event, path, int(value))
            return True
        return value in (None, "", "-")

    return convert


def _level(event: Event, value: Any) -> bool:
    if isinstance(value, int) and not isinstance(value, bool):
        name = NUMERIC_LEVELS.get(value)
        if name is None:
            return False
        put(event, "log.level", name)
        return True
    if isinstance(value, str) and value:
        put(event, "log.level", value.lower())
        return True
    return False


def _time(parser: DateParser, strip: str = "") -> Convert:
    def convert(event: Event, value: Any) -> bool:
        if not isinstance(value, str):
            return False
        parsed = parser.parse(value.strip(strip))
        if parsed is None:
            add_tag(event, "_dateparsefailure")
            return False
        event["@timestamp"] = parsed
        return True

    return convert


def _epoch(scale: float) -> Convert:
    def convert(event: Event, value: Any) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return False
        try:
            moment = datetime.fromtimestamp(value / scale, UTC)
        except (OverflowError, OSError, ValueError):
            return False
        event["@timestamp"] = format_timestamp(moment)
        return True

    return convert


def stack_trace(event: Event, value: Any) -> bool:
    """A formatted traceback or stack: ``error.stack_trace``, and (from a Python traceback's last
    line, a Java trace's first, a Node stack's first) ``error.type`` and ``error.message`` if unset."""
    if isinstance(value, list) and all(isinstance(line, str) for line in value):
        value = "".join(value) if any(line.endswith("\n") for line in value) else "\n".join(value)
    if not isinstance(value, str) or not value.strip():
        return value in (None, "", False, True)  # exc_info: true/false without a text
    text = value.rstrip("\n")
    put(event, "error.stack_trace", text)
    lines = text.split("\n")
    head = lines[-1] if lines[0].startswith("Traceback") else lines[0]
    match = _EXCEPTION_LINE.match(head.strip())
    if match is not None:
        if get(event, "error.type") is None:
            put(event, "error.type", match["type"])
        if match["message"] and get(event, "error.message") is None:
            put(event, "error.message", match["message"])
    return True


def _error_object(event: Event, value: Any) -> bool:
    """pino's / bunyan's ``err``: ``{type|name, message, stack}``."""
    if isinstance(value, str):
        put(event, "error.message", value)
        return True
    if not isinstance(value, dict):
        return False
    kind = value.get("type") or value.get("name")
    if isinstance(kind, str):
        put(event, "error.type", kind)
    if isinstance(value.get("message"), str):
        put(event, "error.message", value["message"])
    if isinstance(value.get("stack"), str):
        stack_trace(event, value["stack"])
    return True


def _request(event: Event, value: Any) -> bool:
    """gunicorn's ``%(r)s``: ``GET /path?q=1 HTTP/1.1``."""
    match = _REQUEST.match(value) if isinstance(value, str) else None
    if match is None:
        return False
    put(event, "http.request.method", match["method"])
    put(event, "url.original", match["target"])
    if match["version"]:
        put(event, "http.version", match["version"])
    return True


def _address(event: Event, value: Any) -> bool:
    if not isinstance(value, str) or value in ("", "-"):
        return value in (None, "", "-")
    put(event, "source.ip" if is_ip(value) else "source.address", value)
    return True


def _caller(event: Event, value: Any) -> bool:
    """zap's ``caller``: ``pkg/file.go:12``."""
    match = _CALLER.match(value) if isinstance(value, str) else None
    if match is None:
        return False
    put(event, "log.origin.file.name", match["file"])
    put(event, "log.origin.file.line", int(match["line"]))
    return True


def _duration_us(event: Event, value: Any) -> bool:
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return False
    put(event, "event.duration", value * 1000)  # ECS: nanoseconds
    put(event, "http.request.duration", value / 1_000_000)  # seconds, as nginx's $request_time (docs/search.md)
    return True


def _headers(event: Event, value: Any) -> bool:
    """gunicorn's request headers object: the ECS ones moved, the rest left (returned False: kept)."""
    if not isinstance(value, dict):
        return False
    for name, path, convert in (
        ("content-type", "http.request.mime_type", _to),
        ("user-agent", "user_agent.original", _to),
        ("content-length", "http.request.body.bytes", _integer),
        ("referer", "http.request.referrer", _to),
    ):
        if name in value and convert(path)(event, value[name]):
            del value[name]
    return not value


Shape = Mapping[str, Convert]

MESSAGE = _to("message")
SHAPES: dict[str, Shape] = {
    "gunicorn": {
        "request_address": _address,
        "request_time": _time(_HTTPDATE, "[]"),
        "request": _request,
        "http_status_code": _integer("http.response.status_code"),
        "http_request_url": _to("url.path"),
        "http_query_string": _to("url.query"),
        "request_headers": _headers,
        "response_length": _integer("http.response.body.bytes"),
        "request_method": _to("http.request.method"),
    },
    "gunicorn_legacy": {
        "remote_ip": _address,
        "request_id": _to("http.request.id"),
        "response_code": _integer("http.response.status_code"),
        "request_method": _to("http.request.method"),
        "request_path": _to("url.path"),
        "request_querystring": _to("url.query"),
        "request_timetaken": _duration_us,
        "response_length": _integer("http.response.body.bytes"),
        "http_referer": _to("http.request.referrer"),
        "http_user_agent": _to("user_agent.original"),
        "time": _time(_HTTPDATE, "[]"),
    },
    "pino": {  # and bunyan
        "level": _level,
        "msg": MESSAGE,
        "time": lambda event, value: _epoch(1000)(event, value) or _time(_ISO)(event, value),
        "pid": _integer("process.pid"),
        "hostname": _to("host.hostname"),
        "name": _to("log.logger"),
        "err": _error_object,
        "req_id": _to("http.request.id"),
    },
    "zap": {
        "level": _level,
        "ts": lambda event, value: _epoch(1)(event, value) or _time(_ISO)(event, value),
        "msg": MESSAGE,
        "logger": _to("log.logger"),
        "caller": _caller,
        "stacktrace": stack_trace,
        "error": _to("error.message"),
    },
    "logrus": {
        "level": _level,
        "msg": MESSAGE,
        "time": _time(_ISO),
        "error": _to("error.message"),
        "func": _to("log.origin.function"),
        "file": _caller,
    },
    "structlog": {
        "event": MESSAGE,
        "level": _level,
        "timestamp": _time(_ISO),
        "logger": _to("log.logger"),
        "exception": stack_trace,
        "exc_info": stack_trace,
        "stack": stack_trace,
    },
    "python": {  # python-json-logger
        "message": MESSAGE,
        "levelname": _level,
        "name": _to("log.logger"),
        "asctime": _time(_PYTHON_TIME),
        "timestamp": _time(_ISO),
        "exc_info": stack_trace,
        "stack_info": stack_trace,
        "funcName": _to("log.origin.function"),
        "lineno": _integer("log.origin.file.line"),
        "pathname": _to("log.origin.file.name"),
        "filename": lambda event, value: (
            get(event, "log.origin.file.name") is not None or _to("log.origin.file.name")(event, value)
        ),
        "process": _integer("process.pid"),
        "processName": _to("process.name"),
        "thread": _integer("process.thread.id"),
        "threadName": _to("process.thread.name"),
        "module": _to("log.origin.module"),
    },
    "generic": {
        "message": MESSAGE,
        "msg": MESSAGE,
        "level": _level,
        "severity": _level,
        "stack_trace": stack_trace,
        "stacktrace": stack_trace,
        "exc_info": stack_trace,
        "exception": stack_trace,
        "error.stack": stack_trace,
        "timestamp": _time(_ISO),
        "@timestamp": _time(_ISO),
        "logger": _to("log.logger"),
    },
}


def shape_of(record: Mapping[str, Any]) -> str:
    """The name of the record's shape (``ecs`` or a key of :data:`SHAPES`)."""
    if "ecs.version" in record or isinstance(record.get("ecs"), dict):
        return "ecs"
    if "request" in record and ("http_status_code" in record or "request_address" in record):
        return "gunicorn"
    if "request_method" in record and "response_code" in record:
        return "gunicorn_legacy"
    level = record.get("level")
    if isinstance(level, int) and not isinstance(level, bool) and ("msg" in record or "v" in record):
        return "pino"
    if "ts" in record and "msg" in record:
        return "zap"
    if "msg" in record and "level" in record and "time" in record:
        return "logrus"
    if isinstance(record.get("event"), str):
        return "structlog"
    if "levelname" in record or "asctime" in record:
        return "python"
    return "generic"


def apply(event: Event, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Move the keys the record's shape knows into ``event``; the shape and the keys left over."""
    shape = shape_of(record)
    if shape == "ecs":
        return shape, _apply_ecs(event, record)
    known = SHAPES[shape]
    rest: dict[str, Any] = {}
    for key, value in record.items():
        convert = known.get(key) or (SHAPES["generic"][key] if key in _GENERIC_ONLY else None)
        if convert is None or not convert(event, value):
            rest[key] = value
    return shape, rest


_GENERIC_ONLY = frozenset({"stack_trace", "stacktrace", "exc_info", "exception", "error.stack"})


def _apply_ecs(event: Event, record: dict[str, Any]) -> dict[str, Any]:
    rest: dict[str, Any] = {}
    for key, value in record.items():
        if key.startswith(PROTECTED):
            rest[key] = value
        elif key == "@timestamp":
            if not _time(_ISO)(event, value):
                rest[key] = value
        elif key == "log.level" and isinstance(value, str):
            put(event, "log.level", value.lower())
        elif key == "error.stack_trace":
            if not stack_trace(event, value):
                rest[key] = value
        elif isinstance(value, dict) and value:
            for sub, inner in _dotted(key, value):
                if sub.startswith(PROTECTED) or not all(sub.split(".")):
                    rest[sub] = inner
                else:
                    put(event, sub, inner)
        elif key and all(key.split(".")):
            put(event, key, value)
        else:
            rest[key] = value
    return rest


def _dotted(prefix: str, value: dict[str, Any]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for key, inner in value.items():
        path = f"{prefix}.{key}"
        if isinstance(inner, dict) and inner:
            out.extend(_dotted(path, inner))
        else:
            out.append((path, inner))
    return out

"""JSON app logs: known shapes to ECS, unknown keys under the flattened ``json``, bad input tagged."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from grokpipe.indexer.fields import get
from grokpipe.indexer.jsonlogs import MAX_KEYS, JsonMessage
from grokpipe.indexer.jsonshapes import shape_of
from grokpipe.indexer.pipeline import Router

SHIPPER_TS = "2026-12-07T10:00:00.000Z"
GUNICORN = (
    '{"request_address": "10.1.2.3", "request_time": "[07/Dec/2026:10:15:08 +0000]", '
    '"request": "POST /api/items?page=2 HTTP/1.1", "http_status_code": "201", "http_request_url": "/api/items", '
    '"http_query_string": "page=2", "request_headers": {"content-type": "application/json", '
    '"content-length": "17", "user-agent": "curl/8.5.0", "x-trace": "abc"}}'
)
PY_TRACE = (
    'Traceback (most recent call last):\n  File "/app/whatweb/views.py", line 41, in boom\n'
    "    return TABLE[key]\nKeyError: 'missing'"
)

#: (line, fields expected after JsonMessage)
CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "gunicorn",
        GUNICORN,
        {
            "source.ip": "10.1.2.3",
            "@timestamp": "2026-12-07T10:15:08.000Z",
            "http.request.method": "POST",
            "url.path": "/api/items",
            "url.query": "page=2",
            "url.original": "/api/items?page=2",
            "http.version": "1.1",
            "http.response.status_code": 201,
            "http.request.mime_type": "application/json",
            "http.request.body.bytes": 17,
            "user_agent.original": "curl/8.5.0",
            "json": {"request_headers": {"x-trace": "abc"}},
            "message": GUNICORN,
        },
    ),
    (
        "python",
        orjson.dumps(
            {
                "asctime": "2026-12-07 10:00:01,250",
                "levelname": "ERROR",
                "name": "whatweb.views",
                "message": "lookup failed",
                "exc_info": PY_TRACE,
                "lineno": 41,
                "request_id": "r1",
            }
        ).decode(),
        {
            "message": "lookup failed",
            "log.level": "error",
            "log.logger": "whatweb.views",
            "log.origin.file.line": 41,
            "@timestamp": "2026-12-07T10:00:01.250Z",
            "error.stack_trace": PY_TRACE,
            "error.type": "KeyError",
            "error.message": "'missing'",
            "json": {"request_id": "r1"},
        },
    ),
    (
        "structlog",
        '{"event": "user logged in", "level": "info", "timestamp": "2026-12-07T10:00:02.5Z", "user": "ada"}',
        {
            "message": "user logged in",
            "log.level": "info",
            "@timestamp": "2026-12-07T10:00:02.500Z",
            "json": {"user": "ada"},
        },
    ),
    (
        "ecs",
        orjson.dumps(
            {
                "@timestamp": "2026-12-07T10:00:03.000Z",
                "log.level": "ERROR",
                "message": "boom",
                "ecs.version": "1.6.0",
                "log": {"logger": "app"},
                "error.type": "java.lang.IllegalStateException",
                "error.stack_trace": "java.lang.IllegalStateException: boom\n\tat com.x.A.run(A.java:3)",
                "event.dataset": "app.log",
                "service.name": "shop",
            }
        ).decode(),
        {
            "message": "boom",
            "log.level": "error",
            "log.logger": "app",
            "error.type": "java.lang.IllegalStateException",
            "error.message": "boom",
            "service.name": "shop",
            "event.dataset": "docker",
            "json": {"event.dataset": "app.log"},
            "@timestamp": "2026-12-07T10:00:03.000Z",
        },
    ),
    (
        "pino",
        '{"level":50,"time":1796637604000,"pid":7,"hostname":"web-1","msg":"request failed",'
        '"err":{"type":"Error","message":"ECONNRESET","stack":"Error: ECONNRESET\\n    at f (/app/x.js:1:2)"}}',
        {
            "log.level": "error",
            "@timestamp": "2026-12-07T10:00:04.000Z",
            "process.pid": 7,
            "host.hostname": "web-1",
            "message": "request failed",
            "error.type": "Error",
            "error.message": "ECONNRESET",
            "error.stack_trace": "Error: ECONNRESET\n    at f (/app/x.js:1:2)",
        },
    ),
    (
        "pino",
        '{"name":"api","hostname":"web-1","pid":7,"level":30,"msg":"up","time":"2026-12-07T10:00:05.000Z","v":0}',
        {
            "log.level": "info",
            "log.logger": "api",
            "message": "up",
            "@timestamp": "2026-12-07T10:00:05.000Z",
            "json": {"v": 0},
        },
    ),
    (
        "logrus",
        '{"level":"warning","msg":"slow query","time":"2026-12-07T10:00:06Z","table":"users"}',
        {
            "log.level": "warning",
            "message": "slow query",
            "@timestamp": "2026-12-07T10:00:06.000Z",
            "json": {"table": "users"},
        },
    ),
    (
        "zap",
        '{"level":"error","ts":1796637607.5,"caller":"server/handler.go:42","msg":"write failed",'
        '"error":"broken pipe","stacktrace":"main.handle\\n\\t/app/server/handler.go:42"}',
        {
            "log.level": "error",
            "@timestamp": "2026-12-07T10:00:07.500Z",
            "log.origin.file.name": "server/handler.go",
            "log.origin.file.line": 42,
            "message": "write failed",
            "error.message": "broken pipe",
            "error.stack_trace": "main.handle\n\t/app/server/handler.go:42",
        },
    ),
    (
        "generic",
        '{"msg": "hello", "severity": "NOTICE", "stack_trace": "x.Y: z\\n\\tat a.B.c(B.java:1)", "n": 1}',
        {
            "message": "hello",
            "log.level": "notice",
            "error.type": "x.Y",
            "json": {"n": 1},
        },
    ),
]


def decoded(line: str, dataset: str = "docker") -> dict[str, Any]:
    event: dict[str, Any] = {"@timestamp": SHIPPER_TS, "message": line, "event": {"dataset": dataset}}
    JsonMessage()(event)
    return event


@pytest.mark.parametrize(("shape", "line", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_known_shapes_map_to_ecs_and_keep_unknown_keys(shape: str, line: str, expected: dict[str, Any]) -> None:
    assert shape_of(orjson.loads(line)) == shape
    event = decoded(line)
    assert {path: get(event, path) for path in expected} == expected
    assert line in (event["message"], event["event"].get("original"))  # the line is kept
    assert "tags" not in event


@pytest.mark.parametrize(
    ("line", "tags"),
    [
        ("[1, 2, 3]", ["_jsonparsefailure"]),
        ('{"a": 1, "b": ', ["_jsonparsefailure"]),  # truncated
        ("{" + '"a":' * 1 + "[" * 10_000 + "]" * 10_000 + "}", ["_jsonparsefailure"]),  # 10,000 deep
        ('{"a": 1, "a": 2}', ["_jsonduplicatekey"]),
        ('{"a" : 1, "b": {"a" : 2, "a": 3}}', ["_jsonduplicatekey"]),
        ('{"x": {"k": 1, "k": 2}, "y": "\\"k\\": 3"}', ["_jsonduplicatekey"]),
        ('{"": 1, "msg": "m"}', ["_jsonlimit"]),
        ('{"a": "' + "x" * 300_000 + '"}', ["_jsonlimit"]),
    ],
    ids=["array", "truncated", "deep", "duplicate", "spaced-duplicate", "nested-duplicate", "empty-key", "too-long"],
)
def test_bad_json_is_tagged_and_kept(line: str, tags: list[str]) -> None:
    event = decoded(line)
    assert event["tags"] == tags
    assert line in (event["message"], event["event"].get("original"))


def test_100000_keys_keep_a_bounded_json_field() -> None:
    keys = {f"k{i}": i for i in range(100_000)}
    event = decoded(orjson.dumps(keys).decode())
    assert event["tags"] == ["_jsonlimit"]  # longer than MAX_BYTES: not decoded
    few = {f"k{i}": i for i in range(MAX_KEYS + 50)}
    event = decoded(orjson.dumps(few).decode())
    assert event["tags"] == ["_jsonlimit"]
    assert len(event["json"]) == MAX_KEYS


def test_deep_values_become_text_below_the_flattened_depth_limit() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = {"d": deep}
    event = decoded(orjson.dumps({"msg": "m", "deep": deep}).decode())
    assert event["tags"] == ["_jsonlimit"]
    node, depth = event["json"], 0
    while isinstance(node, dict):
        node, depth = next(iter(node.values())), depth + 1
    assert depth <= 16
    assert isinstance(node, str)


@pytest.mark.parametrize("line", ["[2026-12-07 10:00:00 +0000] [7] [INFO] Booting worker", "plain text", "", "{"])
def test_log_lines_that_are_not_json_pass(line: str) -> None:
    event = decoded(line)
    assert event["message"] == line
    assert event.get("tags", []) == ([] if line != "{" else ["_jsonparsefailure"])


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def test_every_pipeline_decodes_json_and_a_json_traceback_groups_like_a_file_one(router: Router) -> None:
    line = orjson.dumps({"levelname": "ERROR", "name": "whatweb", "message": "lookup failed", "exc_info": PY_TRACE})
    for dataset in ("docker", "syslog", "nginx.access", "no.pipeline"):
        event = router({"@timestamp": SHIPPER_TS, "message": line.decode(), "event": {"dataset": dataset}})
        assert event["error"]["type"] == "KeyError", dataset
    docker = router({"@timestamp": SHIPPER_TS, "message": line.decode(), "event": {"dataset": "docker"}})
    text = router({"@timestamp": SHIPPER_TS, "message": "lookup failed\n" + PY_TRACE, "event": {"dataset": "docker"}})
    assert docker["error"]["grouping_key"] == text["error"]["grouping_key"]
    assert docker["error"]["culprit"] == "/app/whatweb/views.py in boom"


def test_gunicorn_access_pipeline_types(router: Router) -> None:
    event = router({"@timestamp": SHIPPER_TS, "message": GUNICORN, "event": {"dataset": "gunicorn.access"}})
    assert event["http"]["response"]["status_code"] == 201
    assert event["event"]["category"] == ["web"]
    assert "tags" not in event

"""The REST surface through FastAPI's app: auth, CRUD with optimistic concurrency, paging, validation
(a corpus of bad queries → 422 with position/reason), preview, and secrets that never come back."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, T0, FakeClock, api_settings, doc, new_logs_index, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack
from grokpipe.logs import JsonFormatter

SECRETS = {
    "hook": "hook-token-s3cr3t",
    "ding": "SECdingtalk-s3cr3t",
    "smtp": "smtp-pass-s3cr3t",
    "slack": "https://hooks.slack.example/services/T000/B000/slack-s3cr3t",
}
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


@pytest.fixture(scope="module")
def logs(es: Elasticsearch) -> str:
    docs = [
        doc(
            T0 - timedelta(minutes=i),
            message="PHP Fatal error",
            event__dataset="php.error",
            error__type="fatal",
            error__grouping_key=f"k{i % 2}",
            http__response__status_code=500,
        )
        for i in range(1, 5)
    ]
    return new_logs_index(es, docs)


@pytest.fixture(scope="module")
def client(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    settings = api_settings(
        stack,
        notifiers={
            "hook": {
                "type": "webhook",
                "url": "http://127.0.0.1:9/hook",
                "headers": {"Authorization": SECRETS["hook"]},
            },
            "ding": {"type": "dingtalk", "url": "http://127.0.0.1:9/dingtalk", "secret": SECRETS["ding"]},
            "mail": {
                "type": "email",
                "host": "127.0.0.1",
                "port": 9,
                "sender": "a@b.c",
                "to": ["d@e.f"],
                "username": "u",
                "password": SECRETS["smtp"],
            },
            "slack": {"type": "slack", "url": SECRETS["slack"]},
        },
        delivery={"timeout": 1, "retries": 1, "backoff": 0.01},
    )
    with serve(create_app(settings, clock=FakeClock())) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http


def _rule(logs: str, **over: Any) -> dict[str, Any]:
    return {
        "name": "php fatals",
        "index": logs,
        "query": 'event.dataset:"php.error" AND error.type:fatal',
        "group_by": ["error.grouping_key"],
        "condition": {"type": "threshold", "count": 1},
        "realert": "1d",
    } | over


def test_auth(client: httpx.Client, logs: str) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/rules").status_code == 401
    assert client.get("/rules", headers={"X-API-Key": "wrong"}).json()["error"]["code"] == "http_error"
    assert client.get("/rules", headers=READ).status_code == 200
    assert client.post("/rules", json=_rule(logs), headers=READ).status_code == 403
    assert client.get("/metrics", headers=READ).status_code == 200
    assert client.get("/docs").status_code == 200
    schema = client.get("/openapi.json").json()
    assert schema["components"]["schemas"]["RuleCreate"]["examples"]


def test_crud_concurrency_and_paging(client: httpx.Client, logs: str) -> None:
    created = [client.post("/rules", json=_rule(logs, name=f"r{i}", tags=["crud"]), headers=ADMIN) for i in range(3)]
    assert [r.status_code for r in created] == [201, 201, 201]
    rule = created[0].json()
    page = client.get("/rules", params={"tag": "crud", "limit": 2}, headers=READ).json()
    assert (page["total"], len(page["items"]), page["limit"]) == (3, 2, 2)
    page2 = client.get("/rules", params={"tag": "crud", "limit": 2, "offset": 2}, headers=READ).json()
    assert len(page2["items"]) == 1

    patched = client.patch(
        f"/rules/{rule['id']}", json={"enabled": False}, headers=ADMIN | {"If-Match": rule["version"]}
    )
    assert patched.status_code == 200
    assert patched.json()["enabled"] is False
    stale = client.put(
        f"/rules/{rule['id']}", json=_rule(logs, name="x"), headers=ADMIN | {"If-Match": rule["version"]}
    )
    assert stale.status_code == 409
    assert stale.json()["error"]["code"] == "conflict"
    assert client.post(f"/rules/{rule['id']}/enable", headers=ADMIN).json()["enabled"] is True

    assert client.delete(f"/rules/{rule['id']}", headers=ADMIN).status_code == 204
    missing = client.get(f"/rules/{rule['id']}", headers=READ)
    assert missing.status_code == 404
    assert set(missing.json()["error"]) == {"code", "message", "details"}


BAD_QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("error.type:(fatal", {"reason": "syntax", "position": 11}),  # where the unclosed parenthesis opens
    ("error.type:fatal AND AND x", {"reason": "syntax", "position": 21}),
    ("a::b", {"reason": "syntax", "position": 2}),
    ('"unterminated', {"reason": "syntax", "position": 0}),
    ("error.type:fatal)", {"reason": "syntax", "position": 16}),
    ("nosuch.field:1", {"fields": ["nosuch.field"]}),
    ("error.type:fatal OR bogus:x OR other:y", {"fields": ["bogus", "other"]}),
    ("_exists_:ghost", {"fields": ["ghost"]}),
    ("http.response.status_code:abc", {"position": 0, "fields": ["http.response.status_code"]}),
]


@pytest.mark.parametrize(("query", "expected"), BAD_QUERIES, ids=[q for q, _ in BAD_QUERIES])
def test_bad_lucene_is_422(client: httpx.Client, logs: str, query: str, expected: dict[str, Any]) -> None:
    response = client.post("/rules", json=_rule(logs, query=query), headers=ADMIN)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    if expected.get("reason") == "syntax":
        assert details["reason"].startswith(("Syntax error", "Illegal character", "unclosed", "unmatched"))
        assert details["position"] == expected["position"]
    if "fields" in expected:
        assert details["fields"] == expected["fields"]


BAD_DSL: list[tuple[dict[str, Any], str]] = [
    ({"script": {"script": {"source": "doc['x'].value > 1"}}}, "script"),
    ({"bool": {"filter": [{"script_score": {"query": {"match_all": {}}, "script": {"source": "1"}}}]}}, "script"),
    ({"bool": {"must": [{"term": {"error.type": "fatal"}}], "runtime_mappings": {"x": {"type": "long"}}}}, "script"),
    ({"term": {"nope": "x"}}, "fields"),
    ({"term": {"a": 1}, "match": {"b": 2}}, "shape"),
]


@pytest.mark.parametrize(("dsl", "kind"), BAD_DSL)
def test_bad_dsl_is_422(client: httpx.Client, logs: str, dsl: dict[str, Any], kind: str) -> None:
    response = client.post("/rules", json=_rule(logs, query=None, dsl=dsl), headers=ADMIN)
    assert response.status_code == 422, response.text
    details = response.json()["error"]["details"]
    assert details.get("reason") == kind or (kind == "fields" and details["fields"] == ["nope"])


def test_unknown_group_field_and_notifier_are_422(client: httpx.Client, logs: str) -> None:
    assert client.post("/rules", json=_rule(logs, group_by=["nope"]), headers=ADMIN).json()["error"]["details"] == {
        "fields": ["nope"]
    }
    assert client.post("/rules", json=_rule(logs, notify=["ghost"]), headers=ADMIN).status_code == 422


def test_preview(client: httpx.Client, logs: str) -> None:
    body = {"rule": _rule(logs), "start": (T0 - timedelta(minutes=10)).isoformat(), "end": T0.isoformat()}
    result = client.post("/rules/preview", json=body, headers=READ).json()
    assert result["total"] == 4
    assert sorted((f["key"], f["count"]) for f in result["findings"]) == [("k0", 2), ("k1", 2)]


def test_secrets_never_in_responses_or_logs(client: httpx.Client, logs: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    rule = client.post("/rules", json=_rule(logs, notify=["hook", "ding", "mail", "slack"]), headers=ADMIN).json()
    run = client.post(f"/rules/{rule['id']}/run", headers=ADMIN)  # every notifier fails: unreachable port
    assert run.status_code == 200
    outcomes = run.json()["alerts"][0]["notifications"]
    assert {name: o["outcome"] for name, o in outcomes.items()} == dict.fromkeys(
        ["hook", "ding", "mail", "slack"], "failed"
    )
    bodies = [
        client.get("/notifiers", headers=READ).text,
        client.get(f"/rules/{rule['id']}", headers=READ).text,
        client.get("/alerts", params={"rule_id": rule["id"]}, headers=READ).text,
        client.get("/openapi.json").text,
        client.get("/metrics", headers=READ).text,
        run.text,
    ]
    formatter = JsonFormatter()
    logged = "\n".join(formatter.format(record) for record in caplog.records)
    assert "notification failed" in logged
    for secret in SECRETS.values():
        for body in [*bodies, logged]:
            assert secret not in body

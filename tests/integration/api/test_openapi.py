"""/openapi.json documents what the routes return: each result is a named schema, not a bare object,
and the notifier list's schema has no room for a URL, token or password."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from support.api import FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack


@pytest.fixture(scope="module")
def openapi(stack: EmbeddedStack) -> Iterator[dict[str, Any]]:
    app = create_app(api_settings(stack), clock=FakeClock(), scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        yield http.get("/openapi.json").json()


def _refs(node: Any, components: dict[str, Any], seen: set[str]) -> set[str]:
    """Every component reachable from ``node`` (``-Output`` suffixes dropped)."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            name = ref.rsplit("/", 1)[-1]
            if name not in seen:
                seen.add(name)
                _refs(components[name], components, seen)
        for value in node.values():
            _refs(value, components, seen)
    elif isinstance(node, list):
        for value in node:
            _refs(value, components, seen)
    return {name.removesuffix("-Output") for name in seen}


def response_schemas(openapi: dict[str, Any], method: str, path: str) -> set[str]:
    responses = openapi["paths"][path][method]["responses"]
    ok = next(status for status in responses if status.startswith("2"))
    schema = responses[ok]["content"]["application/json"]["schema"]
    return _refs(schema, openapi["components"]["schemas"], set())


@pytest.mark.parametrize(
    ("method", "path", "schemas"),
    [
        ("get", "/alerts", {"AlertRecord", "AlertSource", "NotificationOutcome"}),
        ("post", "/rules/preview", {"RulePreview", "FindingPreview"}),
        ("post", "/rules/{rule_id}/run", {"RuleRunResult", "RunWindow", "RunAlert", "NotificationOutcome"}),
        ("get", "/rules/{rule_id}/state", {"RuleState", "GroupState"}),
        ("post", "/rules/{rule_id}/groups/{group_key}/ack", {"Acknowledged"}),
        ("get", "/notifiers", {"NotifierPublic"}),
        ("get", "/healthz", {"Health"}),
        ("post", "/errors/sync", {"SyncSummary"}),
        ("get", "/errors/{group_id}", {"GroupDetail", "Bucket"}),
        ("post", "/digests/preview", {"DigestReport", "DigestRow", "NotificationOutcome"}),
        ("post", "/digests/{digest_id}/run", {"DigestReport", "NotificationOutcome"}),
        ("post", "/checks/preview", {"CheckRun", "RowResult", "StepResult", "AlertRecord", "NotificationOutcome"}),
        ("post", "/checks/{check_id}/run", {"CheckRun", "AlertRecord"}),
        ("get", "/checks/{check_id}/runs", {"RunRecord"}),
        ("post", "/reports/preview", {"ReportResult", "ReportRow", "NotificationOutcome"}),
        ("post", "/reports/{report_id}/run", {"ReportResult", "NotificationOutcome"}),
    ],
)
def test_each_result_is_a_documented_schema(openapi: dict[str, Any], method: str, path: str, schemas: set[str]) -> None:
    assert schemas <= response_schemas(openapi, method, path)


def test_no_json_route_returns_an_undocumented_object(openapi: dict[str, Any]) -> None:
    """Besides the dev-only demo and sink, and the log events a group pages, every JSON result is named."""
    loose = {"/demo/login", "/demo/usage", "/demo/{service}", "/sink/webhook", "/errors/{group_id}/events"}
    bare = []
    for path, methods in openapi["paths"].items():
        for method, operation in methods.items():
            for status, response in operation["responses"].items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if status.startswith("2") and schema is not None and "$ref" not in str(schema) and path not in loose:
                    bare.append(f"{method} {path}")
    assert bare == []


def test_the_outcome_and_the_notifier_schemas_hold_no_secret(openapi: dict[str, Any]) -> None:
    components = openapi["components"]["schemas"]
    assert set(components["NotifierPublic"]["properties"]) == {"name", "type"}
    assert components["NotifierPublic"]["additionalProperties"] is False
    outcome = components["NotificationOutcome"]
    assert set(outcome["properties"]) == {"outcome", "attempts", "error"}
    assert set(outcome["required"]) == {"outcome", "attempts"}  # error only when it failed
    alert = components["AlertRecord"]
    assert set(alert["required"]) == {"@timestamp", "rule"}  # history of earlier versions pages too
    assert {"kind", "group_key", "notifications"} <= set(alert["properties"])
    assert alert["additionalProperties"] is True  # each source's own fields pass through

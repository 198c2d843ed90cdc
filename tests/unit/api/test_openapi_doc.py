"""/openapi.json without servers: the examples work against the example config, and each route declares
the error statuses its path, methods and dependencies can answer."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import pytest
import yaml

from grokpipe.api.app import create_app
from grokpipe.api.config import ApiSettings

EXAMPLE_CONFIG = yaml.safe_load(Path("examples/api.yml").read_text(encoding="utf-8"))


@functools.cache
def _document() -> dict[str, Any]:
    app = create_app(ApiSettings.model_validate({"auth": {"admin_keys": ["k"]}, "dev_sink": True}))
    return app.openapi()


def _notify_lists(node: Any) -> list[list[str]]:
    found: list[list[str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "notify" and isinstance(value, list):
                found.append(value)
            else:
                found.extend(_notify_lists(value))
    elif isinstance(node, list):
        for value in node:
            found.extend(_notify_lists(value))
    return found


def test_examples_name_only_notifiers_of_the_example_config() -> None:
    examples = _notify_lists(_document()["components"]["schemas"])
    assert examples, "the schemas carry examples with notify"
    configured = set(EXAMPLE_CONFIG["notifiers"])
    assert {name for names in examples for name in names} <= configured


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [
        ("get", "/alerts", {"200", "401", "429", "422", "502"}),
        ("get", "/notifiers", {"200", "401", "429", "502"}),
        ("post", "/rules", {"201", "400", "401", "429", "403", "422", "502"}),
        ("put", "/rules/{rule_id}", {"200", "400", "401", "429", "403", "404", "409", "422", "502"}),
        ("get", "/rules/{rule_id}", {"200", "401", "429", "404", "422", "502"}),
        ("post", "/rules/{rule_id}/run", {"200", "401", "429", "403", "404", "409", "422", "502"}),
        ("get", "/healthz", {"200", "502", "503"}),
    ],
)
def test_each_route_declares_its_errors(method: str, path: str, statuses: set[str]) -> None:
    operation = _document()["paths"][path][method]
    assert set(operation["responses"]) == statuses
    for status in statuses - {"200", "201", "503"}:  # 503 of /healthz is its Health body
        schema = operation["responses"][status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/ErrorBody"}

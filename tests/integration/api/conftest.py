"""Fixtures for api integration tests: a real noida-db, per-test indices, services on a fake clock."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import FakeClock

from api.config import ApiSettings
from api.services import Services
from grokpipe.embedded import EmbeddedStack

ADMIN_KEY = "admin-key-0123456789"
READ_KEY = "read-key-0123456789"


@pytest.fixture(scope="session")
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url, request_timeout=30)
    yield client
    client.close()


def api_settings(stack: EmbeddedStack, **overrides: Any) -> ApiSettings:
    """Settings with fresh ``grokpipe-*`` index names, so tests never see each other's rules."""
    suffix = uuid.uuid4().hex[:8]
    data: dict[str, Any] = {
        "elasticsearch": {"hosts": [stack.elasticsearch_url]},
        "auth": {"admin_keys": [ADMIN_KEY], "read_keys": [READ_KEY]},
        "indices": {
            "rules": f"grokpipe-rules-{suffix}",
            "alerts": f"grokpipe-alerts-{suffix}",
            "state": f"grokpipe-rule-state-{suffix}",
        },
        "delivery": {"timeout": 5, "retries": 2, "backoff": 0.01},
        "scheduler": {"enabled": False},
    }
    data.update(overrides)
    return ApiSettings.model_validate(data)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_services(stack: EmbeddedStack, clock: FakeClock) -> Iterator[Any]:
    built: list[Services] = []

    def make(**overrides: Any) -> Services:
        services = Services.build(api_settings(stack, **overrides), clock)
        built.append(services)
        return services

    yield make
    for services in built:
        services.close()

"""Fixtures for api integration tests: a real noida-db, per-test indices, services on a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from elasticsearch import Elasticsearch
from support.api import FakeClock, api_settings

from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack


@pytest.fixture(scope="session")
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url, request_timeout=30)
    yield client
    client.close()


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

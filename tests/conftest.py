"""Fixtures for real servers: one embedded noida-db (Kafka + Elasticsearch) per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from grokpipe.embedded import EmbeddedStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """noida-db on free ports, data in a temp dir, stopped (as a process group) at the end."""
    with EmbeddedStack(tmp_path_factory.mktemp("noida")) as running:
        yield running


@pytest.fixture
def topic(stack: EmbeddedStack) -> str:
    from support.kafka import new_topic

    return new_topic(stack.kafka_bootstrap)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def own_stack(tmp_path: Path) -> Iterator[EmbeddedStack]:
    """A noida-db of the test's own, for large counts and outages: noida-db rewrites its whole store on
    every change, so a test's 200k records would slow every later test sharing the session's server,
    and stopping a service would drop what other tests wrote."""
    with EmbeddedStack(tmp_path / "noida") as running:
        yield running

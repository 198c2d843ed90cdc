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

"""Fixtures for the static tests of deploy/compose."""

from __future__ import annotations

from typing import Any

import pytest
from support.deploy import load_compose, read_env_example


@pytest.fixture(scope="session")
def compose() -> dict[str, Any]:
    return load_compose()


@pytest.fixture(scope="session")
def env_example() -> dict[str, str]:
    return read_env_example()

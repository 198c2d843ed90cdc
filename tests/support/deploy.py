"""The compose stack as the tests see it: `.env.example` substituted, YAML parsed (no Docker)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_DIR = ROOT / "deploy" / "compose"

_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)(?::?-(?P<default>[^}]*))?\}")


def read_env_example() -> dict[str, str]:
    env: dict[str, str] = {}
    for raw in (COMPOSE_DIR / ".env.example").read_text().splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            key, _, value = line.partition("=")
            env[key] = value
    return env


def substitute(text: str, env: dict[str, str]) -> str:
    """Compose's `${VAR}` / `${VAR:-default}` interpolation; `$$` stays a literal `$`."""

    def repl(match: re.Match[str]) -> str:
        name, default = match["name"], match["default"]
        if name in env and env[name] != "":
            return env[name]
        if default is None:
            raise KeyError(f"{name} is neither in .env.example nor has a default")
        return default

    return _VAR.sub(repl, text)


def interpolate(node: Any, env: dict[str, str]) -> Any:
    """Substitute in every string of the parsed file, as Compose does (values stay strings)."""
    if isinstance(node, str):
        return substitute(node, env)
    if isinstance(node, list):
        return [interpolate(item, env) for item in node]
    if isinstance(node, dict):
        return {key: interpolate(value, env) for key, value in node.items()}
    return node


def load_compose(name: str = "compose.yaml") -> dict[str, Any]:
    data: dict[str, Any] = interpolate(yaml.safe_load((COMPOSE_DIR / name).read_text()), read_env_example())
    return data

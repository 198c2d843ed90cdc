"""Dotted field paths (``http.response.status_code``) over nested event dicts."""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]
_MISSING = object()


def normalise(name: str) -> str:
    """``[source][address]`` (Logstash field reference) -> ``source.address``."""
    name = name.rstrip("?")  # logstash-patterns-core marks some optional captures as [a][b]?
    if name.startswith("["):
        return ".".join(part for part in name.strip("[]").split("][") if part)
    return name


def get(event: Event, path: str, default: Any = None) -> Any:
    node: Any = event
    for part in path.split("."):
        if not isinstance(node, dict):
            return default
        node = node.get(part, _MISSING)
        if node is _MISSING:
            return default
    return node


def put(event: Event, path: str, value: Any) -> None:
    parts = path.split(".")
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def pop(event: Event, path: str) -> Any:
    parts = path.split(".")
    node: Any = event
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    if isinstance(node, dict):
        return node.pop(parts[-1], None)
    return None


def add_tag(event: Event, tag: str) -> None:
    tags = event.get("tags")
    if not isinstance(tags, list):
        tags = []
        event["tags"] = tags
    if tag not in tags:
        tags.append(tag)

"""Dotted field paths (``http.response.status_code``) over nested event dicts.

Steps run these a dozen times per event, so each step compiles its paths once
(:func:`compile_path`) and calls :func:`get_at` / :func:`put_at` / :func:`pop_at` with the tuple;
:func:`get` / :func:`put` / :func:`pop` take the dotted string for code that is not on the hot path.
"""

from __future__ import annotations

from typing import Any

Event = dict[str, Any]
#: ``"http.response.status_code"`` split once: ``("http", "response", "status_code")``.
FieldPath = tuple[str, ...]
_MISSING = object()


def compile_path(path: str) -> FieldPath:
    if not isinstance(path, str):
        raise ValueError(f"{path!r} is not a field path")
    return tuple(path.split("."))


def normalise(name: str) -> str:
    """``[source][address]`` (Logstash field reference) -> ``source.address``."""
    name = name.rstrip("?")  # logstash-patterns-core marks some optional captures as [a][b]?
    if name.startswith("["):
        return ".".join(part for part in name.strip("[]").split("][") if part)
    return name


def get_at(event: Event, parts: FieldPath, default: Any = None) -> Any:
    node: Any = event
    for part in parts:
        if not isinstance(node, dict):
            return default
        node = node.get(part, _MISSING)
        if node is _MISSING:
            return default
    return node


def put_at(event: Event, parts: FieldPath, value: Any) -> None:
    node = event
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def pop_at(event: Event, parts: FieldPath) -> Any:
    node: Any = event
    for part in parts[:-1]:
        node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            return None
    if isinstance(node, dict):
        return node.pop(parts[-1], None)
    return None


def get(event: Event, path: str, default: Any = None) -> Any:
    return get_at(event, tuple(path.split(".")), default)


def put(event: Event, path: str, value: Any) -> None:
    put_at(event, tuple(path.split(".")), value)


def pop(event: Event, path: str) -> Any:
    return pop_at(event, tuple(path.split(".")))


def add_tag(event: Event, tag: str) -> None:
    tags = event.get("tags")
    if not isinstance(tags, list):
        tags = []
        event["tags"] = tags
    if tag not in tags:
        tags.append(tag)

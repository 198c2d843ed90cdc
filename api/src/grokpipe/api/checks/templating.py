"""Templates in a check's requests: Jinja2 in a sandbox that sees ``secrets``, ``context`` and ``matrix``
only. An unknown name is an error (``StrictUndefined``), not an empty string."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from jinja2 import StrictUndefined

from grokpipe.api import sandbox
from grokpipe.api.checks.schemas import HttpRequest
from grokpipe.api.sandbox import TemplateFailed

__all__ = ["Rendered", "TemplateFailed", "context_names", "render", "strings", "validate"]

_ENV = sandbox.BoundedSandbox(autoescape=False, undefined=StrictUndefined, keep_trailing_newline=True)
_CONTEXT_REF = re.compile(r"\bcontext\s*(?:\.\s*(\w+)|\[\s*['\"]([^'\"]+)['\"]\s*\])")


@dataclass(frozen=True)
class Rendered:
    method: str
    url: str
    headers: dict[str, str]
    params: dict[str, str]
    json_body: Any
    body: str | None


def strings(request: HttpRequest) -> list[str]:
    """Every template string of a request (url, headers, params, body, strings inside json)."""
    out = [request.url, *request.headers.values(), *request.params.values()]
    if request.body is not None:
        out.append(request.body)

    def walk(node: Any) -> None:
        if isinstance(node, str):
            out.append(node)
        elif isinstance(node, Mapping):
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(request.json_body)
    return out


def validate(request: HttpRequest) -> None:
    for text in strings(request):
        sandbox.check(_ENV, text)


def context_names(request: HttpRequest) -> set[str]:
    """The ``context.name`` values a request's templates read (for skipping steps that need a missing one)."""
    names: set[str] = set()
    for text in strings(request):
        for match in _CONTEXT_REF.finditer(text):
            names.add(match.group(1) or match.group(2))
    return names


def render(request: HttpRequest, variables: Mapping[str, Any]) -> Rendered:
    """``variables`` holds ``secrets``, ``context`` and ``matrix``; nothing else reaches a template."""
    scope = {key: variables.get(key, {}) for key in ("secrets", "context", "matrix")}

    def one(text: str) -> str:
        if "{" not in text:
            return text
        return sandbox.render(_ENV, text, scope)

    def walk(node: Any) -> Any:
        if isinstance(node, str):
            return one(node)
        if isinstance(node, Mapping):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v) for v in node]
        return node

    return Rendered(
        method=request.method,
        url=one(request.url),
        headers={k: one(v) for k, v in request.headers.items()},
        params={k: one(v) for k, v in request.params.items()},
        json_body=walk(request.json_body),
        body=one(request.body) if request.body is not None else None,
    )

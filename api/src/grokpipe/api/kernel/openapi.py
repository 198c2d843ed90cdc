"""The error responses each route declares in ``/openapi.json``, derived from the route itself.

Every router is built with ``route_class=DeclaredRoute``, so a new route declares, from its first
commit, what it can answer besides its result, with the one error body the app writes
(``{"error": {"code", "message", "details"}}``):

- 401 when it takes a key (``ReadAccess`` or ``AdminAccess``), 429 after too many wrong keys from one address,
  403 when it needs the admin key;
- 404 when its path names a resource (``/rules/{rule_id}``), 409 when it writes one (a stale ``If-Match``,
  a run already in progress, a group not firing);
- 400 when it reads a JSON body (that may not parse), 422 when it reads parameters or a body (FastAPI's
  own 422 body is replaced: ours is the error body);
- 502 when it reads services (a :class:`Provider` dependency: Elasticsearch refused or was unreachable).

A 500 is never declared: it is a bug, and the schema-fuzzing test fails on it.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from typing import Annotated, Any, get_args, get_origin

from fastapi import params
from fastapi.dependencies.utils import get_flat_params
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from grokpipe.api.kernel.access import require_admin, require_key
from grokpipe.api.kernel.provide import Provider

_PATH_PARAM = re.compile(r"{(\w+)(?::\w+)?}")
_WRITES = {"POST", "PUT", "PATCH", "DELETE"}


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(description="stable, e.g. not_found, conflict, validation_error, search_failed")
    message: str
    details: dict[str, Any] = Field(default_factory=dict, description="the fields the reason names")


class ErrorBody(BaseModel):
    """Every error the api answers."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


def _dependencies(endpoint: Callable[..., Any]) -> Iterator[tuple[str, Callable[..., Any] | None]]:
    """(parameter name, dependency callable or None) of each parameter, dependencies of dependencies included."""
    for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items():
        annotation = parameter.annotation
        found: Callable[..., Any] | None = None
        if get_origin(annotation) is Annotated:
            for meta in get_args(annotation)[1:]:
                if isinstance(meta, params.Depends) and meta.dependency is not None:
                    found = meta.dependency
        if isinstance(parameter.default, params.Depends) and parameter.default.dependency is not None:
            found = parameter.default.dependency
        yield name, found
        if found is not None and (inspect.isfunction(found) or inspect.ismethod(found)):
            yield from _dependencies(found)


def error_statuses(path: str, endpoint: Callable[..., Any], methods: set[str]) -> dict[int, str]:
    """The error statuses a route can answer (pure: read from its path, methods and signature)."""
    names: set[str] = set()
    called: set[Callable[..., Any]] = set()
    for name, dependency in _dependencies(endpoint):
        names.add(name)
        if dependency is not None:
            called.add(dependency)
    in_path = set(_PATH_PARAM.findall(path))
    out: dict[int, str] = {}
    if require_key in called:
        out[401] = "no key, or a key that is not configured"
        out[429] = "too many wrong keys from this address: retry after Retry-After seconds"
    if require_admin in called:
        out[403] = "the key is read-only"
    if in_path:
        out[404] = "no such " + ", ".join(sorted(in_path))
    if (in_path and methods & _WRITES) or "if_match" in names:
        out[409] = "a stale If-Match version, or the resource is busy (a run in progress)"
    if _has_body(endpoint, in_path):
        out[400] = "the body is not JSON"
    out[422] = "invalid parameters or body: the reason and where"
    if any(isinstance(dependency, Provider) for dependency in called):
        out[502] = "Elasticsearch refused the request or was unreachable"
    return out


def _has_body(endpoint: Callable[..., Any], in_path: set[str]) -> bool:
    """Whether FastAPI reads a JSON body for the endpoint (a model parameter, or one marked ``Body``)."""
    for name, parameter in inspect.signature(endpoint, eval_str=True).parameters.items():
        annotation, marks = parameter.annotation, [parameter.default]
        if get_origin(annotation) is Annotated:
            annotation, *extra = get_args(annotation)
            marks.extend(extra)
        if any(isinstance(m, params.Body) for m in marks):
            return True
        if name not in in_path and inspect.isclass(annotation) and issubclass(annotation, BaseModel):
            return True
    return False


class DeclaredRoute(APIRoute):
    """An ``APIRoute`` whose ``responses`` also hold its :func:`error_statuses` with :class:`ErrorBody`."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        responses: dict[int | str, dict[str, Any]] = dict(kwargs.pop("responses", None) or {})
        methods = {m.upper() for m in kwargs.get("methods") or ["GET"]}
        declared = error_statuses(path, endpoint, methods)
        added = {status for status in declared if status not in responses}
        for status, why in declared.items():
            responses.setdefault(status, {"model": ErrorBody, "description": why})
        super().__init__(path, endpoint, responses=responses, **kwargs)
        if (
            422 in added and not get_flat_params(self.dependant) and self.body_field is None
        ):  # keys and services only: nothing a client can get wrong
            self.responses.pop(422, None)
            self.response_fields.pop(422, None)

"""The objects routes work with, from the app state: a feature's routes ask for their own service by its type
(``Annotated[Rules, Depends(Provider(Rules))]``), so no feature imports the wiring that builds them all."""

from __future__ import annotations

from typing import Generic, TypeVar

from fastapi import Request
from starlette.datastructures import State

T = TypeVar("T")


def provide(state: State, *objects: object) -> None:
    """Register ``objects`` (by their type) for the routes' :class:`Provider` dependencies; at startup."""
    provided: dict[type, object] = getattr(state, "provided", {})
    state.provided = provided | {type(obj): obj for obj in objects}


class Provider(Generic[T]):
    """A dependency answering the ``kind`` object of the app state (:func:`provide`). The routes that take
    one read services, so they declare a 502 (:mod:`grokpipe.api.kernel.openapi`)."""

    def __init__(self, kind: type[T]) -> None:
        self.kind = kind

    def __call__(self, request: Request) -> T:
        found = request.app.state.provided.get(self.kind)
        if not isinstance(found, self.kind):
            raise TypeError(f"no {self.kind.__name__} provided at startup")
        return found

"""A route's dependency on an object the app provided at startup, found by its type."""

from __future__ import annotations

import pytest
from fastapi import FastAPI, Request
from pydantic import BaseModel

from grokpipe.api.kernel.provide import Provider, provide


class Patterns:
    pass


class Body(BaseModel):
    slug: str


class Missing:
    pass


def test_a_provider_answers_the_object_provided_at_startup() -> None:
    app = FastAPI()
    request = Request({"type": "http", "app": app})
    provide(app.state, Patterns())
    provide(app.state, Body(slug="a"))
    assert isinstance(Provider(Patterns)(request), Patterns)
    assert Provider(Body)(request).slug == "a"
    with pytest.raises(TypeError, match="no Missing provided"):
        Provider(Missing)(request)

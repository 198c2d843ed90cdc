"""Dotted field paths: the compiled-tuple functions the steps use do what the dotted-string ones do."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from grokpipe.indexer.fields import compile_path, get, get_at, pop, pop_at, put, put_at

EVENT: dict[str, Any] = {"message": "m", "http": {"response": {"status_code": 200}}, "tags": ["a"], "": {"": 1}}
PATHS = ["message", "http", "http.response.status_code", "http.response.nope", "tags.0", "message.x", "nope", "", "."]


@pytest.mark.parametrize("path", PATHS)
def test_get_at_is_get(path: str) -> None:
    assert get_at(EVENT, compile_path(path), "default") == get(EVENT, path, "default")


@pytest.mark.parametrize("path", PATHS)
def test_put_at_is_put(path: str) -> None:
    by_string, by_tuple = copy.deepcopy(EVENT), copy.deepcopy(EVENT)
    put(by_string, path, "v")
    put_at(by_tuple, compile_path(path), "v")
    assert by_tuple == by_string


@pytest.mark.parametrize("path", PATHS)
def test_pop_at_is_pop(path: str) -> None:
    by_string, by_tuple = copy.deepcopy(EVENT), copy.deepcopy(EVENT)
    assert pop_at(by_tuple, compile_path(path)) == pop(by_string, path)
    assert by_tuple == by_string


def test_compile_path_refuses_what_is_no_path() -> None:
    assert compile_path("a.b") == ("a", "b")
    with pytest.raises(ValueError, match="not a field path"):
        compile_path(5)  # type: ignore[arg-type]

"""The CRUD helper of saved definitions: what it validates, merges, fixes and tags, over an in-memory store."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest
from elasticsearch import Elasticsearch
from fastapi import Response
from pydantic import BaseModel, Field

from grokpipe.api.errors import InvalidRule, NotFound
from grokpipe.api.kernel.crud import Crud, require_notifiers
from grokpipe.api.kernel.documents import DocumentStore
from grokpipe.api.kernel.schemas import Saved, Strict

T = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class Body(Strict):
    slug: str
    size: int = Field(default=1, ge=1)
    notify: list[str] = Field(default_factory=list)
    origin: str = "checkin"


class Patch(Strict):
    size: int | None = None
    notify: list[str] | None = None


class Thing(Body, Saved):
    pass


class MemoryStore(DocumentStore[Body, Thing]):
    """The store's four writes in a dict; versions count up from 1."""

    def __init__(self) -> None:
        super().__init__(cast(Elasticsearch, None), "things", Thing)
        self.docs: dict[str, Thing] = {}

    def _save(self, body: Body, doc_id: str, version: int) -> Thing:
        saved = {"id": doc_id, "version": str(version), "created": T, "updated": T}
        self.docs[doc_id] = Thing.model_validate(body.model_dump() | saved)
        return self.docs[doc_id]

    def create(self, body: Body, rule_id: str | None = None) -> Thing:
        return self._save(body, rule_id or f"t{len(self.docs)}", 1)

    def get(self, rule_id: str) -> Thing:
        if rule_id not in self.docs:
            raise NotFound(f"thing {rule_id} not found")
        return self.docs[rule_id]

    def replace(self, current: Thing, body: Body, version: str | None = None) -> Thing:
        if version not in (None, current.version):
            raise InvalidRule("stale")  # a stand-in for the store's Conflict
        return self._save(body, current.id, int(current.version) + 1)

    def delete(self, rule_id: str, version: str | None = None) -> None:
        self.docs.pop(rule_id)


def known(body: Body) -> None:
    require_notifiers(body.notify, {"ops"})


def crud(
    *, echo_input: bool = True, id_field: str | None = None, fixed: dict[str, str] | None = None
) -> Crud[Body, Thing]:
    return Crud(MemoryStore(), Body, "thing", known, echo_input=echo_input, id_field=id_field, fixed=fixed)


def test_create_validates_before_writing_and_tags_the_version() -> None:
    store, response = MemoryStore(), Response()
    things = Crud(store, Body, "thing", known)
    with pytest.raises(InvalidRule, match="unknown notifiers: pager"):
        things.create(Body(slug="a", notify=["pager", "ops"]), response)
    assert store.docs == {}
    assert "ETag" not in response.headers
    created = things.create(Body(slug="a", notify=["ops"]), response)
    assert response.headers["ETag"] == created.version == "1"


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        (Patch(size=3), {"slug": "a", "size": 3, "notify": ["ops"]}),
        (Patch(notify=[]), {"slug": "a", "size": 2, "notify": []}),
        (Patch(), {"slug": "a", "size": 2, "notify": ["ops"]}),
    ],
)
def test_update_merges_the_given_keys_over_the_stored_ones(patch: Patch, expected: dict[str, object]) -> None:
    things = crud()
    things.create(Body(slug="a", size=2, notify=["ops"]), Response())
    updated = things.update("t0", patch, None)
    assert updated.model_dump(include=set(expected)) == expected
    assert updated.version == "2"


@pytest.mark.parametrize(("echo_input", "has_input"), [(True, True), (False, False)])
def test_an_invalid_merge_is_named_with_or_without_the_input(echo_input: bool, has_input: bool) -> None:
    things = crud(echo_input=echo_input)
    things.create(Body(slug="a"), Response())
    with pytest.raises(InvalidRule, match="invalid thing after update") as raised:
        things.update("t0", Patch(size=0), None)
    (error,) = raised.value.details["errors"]
    assert error["loc"] == ("size",)
    assert ("input" in error) is has_input


def test_the_id_field_is_the_id_and_fixed_fields_are_set_on_every_write() -> None:
    things = crud(id_field="slug", fixed={"origin": "api"})
    response = Response()
    created = things.create(Body(slug="nightly"), response)
    assert (created.id, created.origin) == ("nightly", "api")
    with pytest.raises(InvalidRule, match="the slug of a thing does not change"):
        things.replace("nightly", Body(slug="other"), None)
    replaced = things.replace("nightly", Body(slug="nightly", size=5), "1", response)
    assert (replaced.size, replaced.origin, response.headers["ETag"]) == (5, "api", "2")
    assert things.update("nightly", Patch(size=6), None).origin == "api"


def test_the_write_hook_sees_the_patch() -> None:
    seen: list[BaseModel | None] = []

    class Watched(Crud[Body, Thing]):
        def write(self, current: Thing, body: Body, if_match: str | None, patch: BaseModel | None = None) -> Thing:
            seen.append(patch)
            return super().write(current, body, if_match, patch)

    things = Watched(MemoryStore(), Body, "thing", known)
    things.create(Body(slug="a"), Response())
    patch = Patch(size=2)
    things.update("t0", patch, None)
    things.replace("t0", Body(slug="a"), None)
    assert seen == [patch, None]

"""One CRUD helper for the routes of saved definitions (rules, checks, reports, digests, monitors).

Each of them creates, reads, replaces (PUT), merges (PATCH) and deletes the same way: validated before any
write, every write guarded by the version (``If-Match``, else the one just read), the version returned as
``ETag``. A feature gives the helper its store, body model, noun and validation; its routes stay its own.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, Generic, TypeVar

from fastapi import Response
from pydantic import BaseModel, ValidationError

from grokpipe.api.errors import InvalidRule
from grokpipe.api.kernel.documents import DocumentStore
from grokpipe.api.kernel.schemas import Saved

Body = TypeVar("Body", bound=BaseModel)
Stored = TypeVar("Stored", bound=Saved)


def require_notifiers(names: Iterable[str], known: Collection[str]) -> None:
    """A definition notifies only notifiers of api.yml: :class:`InvalidRule` naming the others."""
    unknown = sorted(set(names) - set(known))
    if unknown:
        raise InvalidRule(f"unknown notifiers: {', '.join(unknown)}", notifiers=unknown)


def tagged(saved: Stored, response: Response | None) -> Stored:
    """``saved`` with its version as the response's ``ETag`` (when there is a response to tag)."""
    if response is not None:
        response.headers["ETag"] = saved.version
    return saved


class Crud(Generic[Body, Stored]):
    """The writes of one kind of definition: ``validate`` raises :class:`InvalidRule` for a body it refuses.

    ``id_field`` names the body field that is also the id (a monitor's slug): it is the id on create, and a
    replace may not change it. ``fixed`` is set on every written body (a monitor written here has
    ``origin: api``). ``echo_input`` false leaves the input out of a PATCH's validation errors (a check's secrets).
    """

    def __init__(
        self,
        store: DocumentStore[Body, Stored],
        body: type[Body],
        noun: str,
        validate: Callable[[Body], None],
        *,
        id_field: str | None = None,
        fixed: Mapping[str, Any] | None = None,
        echo_input: bool = True,
    ) -> None:
        self.store = store
        self.body = body
        self.noun = noun
        self.validate = validate
        self.id_field = id_field
        self.fixed = dict(fixed or {})
        self.echo_input = echo_input

    def create(self, body: Body, response: Response) -> Stored:
        self.validate(body)
        doc_id = getattr(body, self.id_field) if self.id_field else None
        return tagged(self.store.create(self._fixed(body), rule_id=doc_id), response)

    def get(self, doc_id: str, response: Response) -> Stored:
        return tagged(self.store.get(doc_id), response)

    def replace(self, doc_id: str, body: Body, if_match: str | None, response: Response | None = None) -> Stored:
        """PUT: the whole body replaces the stored one."""
        current = self.store.get(doc_id)
        if self.id_field and getattr(body, self.id_field) != doc_id:
            raise InvalidRule(f"the {self.id_field} of a {self.noun} does not change", field=self.id_field)
        self.validate(body)
        return tagged(self.write(current, self._fixed(body), if_match), response)

    def update(self, doc_id: str, patch: BaseModel, if_match: str | None, response: Response | None = None) -> Stored:
        """PATCH: the keys given in ``patch`` over the stored ones, validated as a whole body."""
        current = self.store.get(doc_id)
        stored = current.model_dump(include=set(self.body.model_fields), by_alias=True)
        merged = stored | patch.model_dump(exclude_unset=True, by_alias=True) | self.fixed
        try:
            new = self.body.model_validate(merged)
        except ValidationError as exc:
            errors = exc.errors(include_url=False, include_context=False, include_input=self.echo_input)
            raise InvalidRule(f"invalid {self.noun} after update", errors=errors) from None
        self.validate(new)
        return tagged(self.write(current, new, if_match, patch), response)

    def delete(self, doc_id: str, if_match: str | None) -> None:
        self.store.delete(doc_id, if_match)

    def write(self, current: Stored, body: Body, if_match: str | None, patch: BaseModel | None = None) -> Stored:
        """Store ``body`` over ``current`` (``patch``: the PATCH it comes from; a store may keep more for one)."""
        return self.store.replace(current, body, if_match)

    def _fixed(self, body: Body) -> Body:
        return body.model_copy(update=self.fixed) if self.fixed else body

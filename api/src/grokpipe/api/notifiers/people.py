"""Owners as people, the same for every channel.

An owner is a person (a name and the e-mail address of their commits). ``owners:`` in api.yml gives a person
handles, keyed by the channel that uses them (``dingtalk_mobile``, ``slack``, ``feishu``...: each channel
package declares its own, :attr:`grokpipe.api.notifiers.base.Channel.handles`); the channel resolves the
handle it needs when it writes the mention, and writes the name without one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol


class Author(Protocol):
    """Whatever names an owner (a blame result)."""

    @property
    def name(self) -> str: ...

    @property
    def email(self) -> str: ...


@dataclass(frozen=True)
class Person:
    name: str
    email: str = ""
    handles: Mapping[str, str] = field(default_factory=dict)

    def handle(self, key: str) -> str | None:
        """This person's handle for a channel (``dingtalk_mobile``...), or None when api.yml gives none."""
        return self.handles.get(key)


def mention_by(key: str, written: Callable[[Person, str], str]) -> Callable[[Person | None], str]:
    """How a channel writes an owner: ``written(person, handle)`` when api.yml gives them the channel's handle
    ``key``, else their name; ``unknown`` when there is no owner."""

    def mention(person: Person | None) -> str:
        if person is None:
            return "unknown"
        handle = person.handle(key)
        return written(person, handle) if handle else person.name

    return mention


@dataclass(frozen=True)
class People:
    """``owners:`` of api.yml: e-mail address -> the person's handles."""

    contacts: Mapping[str, Mapping[str, str]] = field(default_factory=dict)

    def person(self, name: str, email: str) -> Person:
        return Person(name, email, dict(self.contacts.get(email, {})))

    def of(self, owner: object) -> Person | None:
        """An owner as a template passes it (the JSON of a group's or row's ``owner``), or None."""
        if not isinstance(owner, Mapping) or not owner:
            return None
        return self.person(str(owner.get("name") or ""), str(owner.get("email") or ""))

    def mentions(self, owners: Iterable[Author | None]) -> tuple[Person, ...]:
        """Each distinct owner once, in order."""
        named: dict[str, str] = {}
        for owner in owners:
            if owner is not None:
                named.setdefault(owner.email, owner.name)
        return tuple(self.person(name, email) for email, name in named.items())

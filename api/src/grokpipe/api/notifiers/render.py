"""What every channel adds to a message's template context: times in one zone, console links, owners.

Templates call ``when(ts)`` (a time in ``console.timezone``, to the second), read ``url`` (the
message's own console page) and ``link(path)`` (another one), and ``owner(o)`` (the author of a
culprit line). ``owner`` is the channel's business: each channel package resolves the person's handle it
needs (DingTalk ``@mobile``, listed in ``at.atMobiles``; Slack ``<@member>``; Feishu ``<at id=...></at>``;
e-mail the name and address). Without ``console.base_url`` there are no links; without a handle, the name.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from grokpipe.api.notifiers.people import People, Person

#: how a channel writes an owner (a person, or None for no owner)
OwnerFormat = Callable[[Person | None], str]


def plain_owner(person: Person | None) -> str:
    """The owner as a person reads it anywhere: ``name <email>``."""
    if person is None:
        return "unknown"
    return f"{person.name} <{person.email}>" if person.email else person.name


@dataclass(frozen=True)
class Presentation:
    """``console`` and ``owners`` of the api config, as the channels use them."""

    base_url: str | None = None
    timezone: str = "UTC"
    people: People = field(default_factory=People)

    def when(self, value: object) -> str:
        """``2026-12-07 10:41:03 CST`` for an ISO string or datetime; anything else as given."""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                return str(value)
        if not isinstance(value, datetime):
            return "" if value is None else str(value)
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(ZoneInfo(self.timezone)).strftime("%Y-%m-%d %H:%M:%S %Z")

    def link(self, path: str) -> str | None:
        """The console page ``/ui/<path>``, or None without ``console.base_url``."""
        return f"{self.base_url}/ui/{path.lstrip('/')}" if self.base_url else None

    def helpers(self, owner_format: OwnerFormat = plain_owner) -> dict[str, Any]:
        """The functions templates call."""
        return {
            "when": self.when,
            "link": self.link,
            "owner": lambda o=None: owner_format(self.people.of(o)),
        }


DEFAULT = Presentation()


def labels(group: Mapping[str, Any], samples: list[dict[str, Any]]) -> dict[str, str]:
    """How each group-by value reads: a grouping key by its error's title (from a sample), others as they are."""
    out = {str(k): str(v) for k, v in group.items()}
    if "error.grouping_key" in group:
        for doc in samples:
            title = (doc.get("error") or {}).get("title") if isinstance(doc.get("error"), dict) else None
            title = title or doc.get("error.title")
            if title:
                out["error.grouping_key"] = str(title)
                break
    return out

"""How alert state is stored in a lease document: since when each group fires.

Rules wrote it first (``grokpipe.api.rules.state``: one :class:`GroupState` per firing group, in ``groups``)
and checks and monitors kept theirs in a rule's state, one entry keyed ``check`` or ``monitor``. They now have
state types of their own (:class:`OneGroup`), which keep that stored shape: the lease documents written before
load unchanged, and a replica still running the older code reads the new ones, so a rolling upgrade neither
loses an open incident nor notifies it twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from pydantic import (
    BaseModel,
    Field,
    SerializationInfo,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)


class GroupState(BaseModel):
    since: datetime
    last_notified: datetime | None = None
    acknowledged: bool = False
    held: bool = Field(default=False, description="a held-back match was recorded since the last notification")
    group: dict[str, Any] = Field(default_factory=dict)


class OneGroup(BaseModel):
    """The state of a definition that fires as one group (a check, a monitor): when it last ran, the tick it
    last released, and one field of its own, named ``GROUP``.

    Stored as ``{"last_run", "last_tick", "groups": {GROUP: {"since", "last_notified", ..., "group": <that
    field>}}}``; the entry is written once the definition has run (``last_run`` set), with ``since`` from
    :meth:`entry` or else ``last_run``.
    """

    GROUP: ClassVar[str]

    last_run: datetime | None = None
    last_tick: datetime | None = None

    def entry(self) -> tuple[datetime | None, datetime | None]:
        """The stored entry's ``since`` and ``last_notified``."""
        return None, None

    @model_validator(mode="before")
    @classmethod
    def _unpack(cls, data: Any) -> Any:
        if not isinstance(data, dict) or "groups" not in data:
            return data
        unpacked = {key: value for key, value in data.items() if key != "groups"}
        entry = (data["groups"] or {}).get(cls.GROUP)
        if entry is not None:
            unpacked[cls.GROUP] = entry.get("group") or {}
        return unpacked

    @model_serializer(mode="wrap")
    def _pack(self, handler: SerializerFunctionWrapHandler, info: SerializationInfo) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        group = data.pop(self.GROUP)
        groups: dict[str, Any] = {}
        if self.last_run is not None:
            since, last_notified = self.entry()
            entry = GroupState(since=since or self.last_run, last_notified=last_notified, group=group)
            groups[self.GROUP] = entry.model_dump(mode="json" if info.mode_is_json() else "python")
        return data | {"groups": groups}

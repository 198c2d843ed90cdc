"""What a restart must remember of a rule: when it last ran and which groups fire, with their throttle state.

Persisted in the rule's lease document (``Leases[RuleState]``); :mod:`grokpipe.api.rules.throttle` decides over it.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from grokpipe.api.kernel.alertstate import GroupState


class RuleState(BaseModel):
    """What a restart must remember: last run and which groups fire (persisted in Elasticsearch)."""

    last_run: datetime | None = None
    last_tick: datetime | None = None
    groups: dict[str, GroupState] = Field(default_factory=dict)

"""Down and recovered, as one pure decision over the check's streaks.

A check goes *down* after ``failure_threshold`` consecutive failed runs (a run fails when any row
is down) and *recovers* after ``success_threshold`` consecutive passing runs. While down it is
notified again every ``realert``; ``silenced_until`` mutes notifications, not state changes.

The state rides in the lease document (``Leases[CheckLease]``), so it changes in the same compare-and-set
write that releases the tick; it is stored in rules' shape, one entry in ``groups`` keyed ``check`` carrying
the streaks (:class:`grokpipe.api.kernel.alertstate.OneGroup`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from grokpipe.api.kernel.alertstate import OneGroup


class CheckState(BaseModel):
    down: bool = False
    since: datetime | None = None
    failures: int = 0
    successes: int = 0
    last_notified: datetime | None = None


@dataclass(frozen=True)
class CheckAction:
    kind: Literal["fired", "recovered"]
    notify: bool


def decide(
    state: CheckState,
    passed: bool,
    now: datetime,
    *,
    failure_threshold: int,
    success_threshold: int,
    realert: timedelta,
    recovery: bool,
    silenced_until: datetime | None,
) -> tuple[CheckState, CheckAction | None]:
    silenced = silenced_until is not None and now < silenced_until
    failures = 0 if passed else state.failures + 1
    successes = state.successes + 1 if passed else 0
    new = state.model_copy(update={"failures": failures, "successes": successes})
    if not state.down:
        if passed or failures < failure_threshold:
            return new, None
        notify = not silenced
        return new.model_copy(update={"down": True, "since": now, "last_notified": now if notify else None}), (
            CheckAction("fired", notify)
        )
    if passed:
        if successes < success_threshold:
            return new, None
        recovered = CheckState(successes=successes)
        return recovered, CheckAction("recovered", recovery and not silenced)
    due = state.last_notified is None or now - state.last_notified >= realert
    if due and not silenced:
        return new.model_copy(update={"last_notified": now}), CheckAction("fired", True)
    return new, None


class CheckLease(OneGroup):
    """A check's state in its lease document: its last run and tick, and its streaks."""

    GROUP: ClassVar[str] = "check"

    check: CheckState = Field(default_factory=CheckState)

    def entry(self) -> tuple[datetime | None, datetime | None]:
        return self.check.since, self.check.last_notified

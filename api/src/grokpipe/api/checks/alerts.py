"""Down and recovered, as one pure decision over the check's streaks.

A check goes *down* after ``failure_threshold`` consecutive failed runs (a run fails when any row
is down) and *recovers* after ``success_threshold`` consecutive passing runs. While down it is
notified again every ``realert``; ``silenced_until`` mutes notifications, not state changes.

The state rides in the lease document (:class:`grokpipe.api.kernel.lease.Leases` persists a ``RuleState``), so it
changes in the same compare-and-set write that releases the tick: one entry in ``groups`` keyed
``check`` carries the streaks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel

from grokpipe.api.kernel.alertstate import GroupState, RuleState

_KEY = "check"


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


def load(state: RuleState) -> CheckState:
    entry = state.groups.get(_KEY)
    return CheckState.model_validate(entry.group) if entry else CheckState()


def dump(state: RuleState, check: CheckState, now: datetime) -> RuleState:
    entry = GroupState(since=check.since or now, last_notified=check.last_notified, group=check.model_dump(mode="json"))
    return RuleState(last_run=now, last_tick=state.last_tick, groups={_KEY: entry})

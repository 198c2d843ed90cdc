"""Realert, recovery, silence and acknowledge as one pure decision over persisted rule state."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from grokpipe.api.kernel.alertstate import GroupState
from grokpipe.api.rules.conditions import Finding
from grokpipe.api.rules.state import RuleState


@dataclass(frozen=True)
class Action:
    kind: Literal["fired", "recovered", "suppressed"]
    key: str
    group: dict[str, Any]
    notify: bool
    finding: Finding | None = None
    reason: str | None = None


def _reason(old: GroupState, silenced_until: datetime | None, now: datetime, realert: timedelta) -> str:
    if old.acknowledged:
        return "acknowledged: quiet until it recovers"
    if silenced_until is not None and now < silenced_until:
        return f"silenced until {silenced_until.isoformat(timespec='seconds')}"
    last = old.last_notified.isoformat(timespec="seconds") if old.last_notified else "never"
    return f"within realert ({int(realert.total_seconds())}s) of the last notification at {last}"


def decide(
    state: RuleState,
    findings: list[Finding],
    now: datetime,
    *,
    realert: timedelta,
    recovery: bool,
    silenced_until: datetime | None,
) -> tuple[RuleState, list[Action]]:
    silenced = silenced_until is not None and now < silenced_until
    groups: dict[str, GroupState] = {}
    actions: list[Action] = []
    for finding in findings:
        old = state.groups.get(finding.key)
        if old is None:
            notify = not silenced
            groups[finding.key] = GroupState(since=now, last_notified=now if notify else None, group=finding.group)
            actions.append(Action("fired", finding.key, finding.group, notify, finding))
            continue
        due = old.last_notified is None or now - old.last_notified >= realert
        notify = due and not silenced and not old.acknowledged
        # the first match held back after a notification is recorded (suppressed, with the reason), not each tick
        held = not notify and not old.held
        groups[finding.key] = old.model_copy(
            update={"last_notified": now if notify else old.last_notified, "held": not notify and (old.held or held)}
        )
        if notify:
            actions.append(Action("fired", finding.key, finding.group, True, finding))
        elif held:
            reason = _reason(old, silenced_until, now, realert)
            actions.append(Action("suppressed", finding.key, finding.group, False, finding, reason))
    for key, old in state.groups.items():
        if key not in groups:
            actions.append(Action("recovered", key, old.group, recovery and not silenced))
    return RuleState(last_run=now, last_tick=state.last_tick, groups=groups), actions


def acknowledged(state: RuleState, group_key: str) -> RuleState | None:
    """``state`` with ``group_key`` acknowledged (no realerts until it recovers); None if that group is not firing."""
    if group_key not in state.groups:
        return None
    state.groups[group_key].acknowledged = True
    return state

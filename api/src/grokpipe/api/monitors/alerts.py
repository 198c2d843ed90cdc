"""Incident opened and resolved, once each, as one pure decision over what was last notified.

The evaluation folds the monitor's check-ins and the clock (:func:`api.monitors.view.fold`), which says
whether an incident is open now (``failure_issue_threshold`` failures in a row, until
``recovery_threshold`` ok runs). This compares it with the incident last notified, kept in the lease
document (:class:`grokpipe.api.kernel.lease.Leases` persists a ``RuleState``; one entry keyed ``monitor``), so the
state changes in the compare-and-set write that releases the tick: one replica notifies, once.

=================  ==============  ===========================================
notified before    incident now    action
=================  ==============  ===========================================
no                 no              none
no                 yes             ``missed`` / ``timeout`` / ``error`` (opened)
yes                yes             none (one alert per incident)
yes                no              ``recovered`` (notified if ``recovery``)
=================  ==============  ===========================================
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from pydantic import BaseModel

from grokpipe.api.kernel.alertstate import GroupState, RuleState

_KEY = "monitor"
Kind = Literal["missed", "timeout", "error", "recovered"]


class IncidentState(BaseModel):
    open: bool = False
    since: datetime | None = None
    kind: str | None = None


@dataclass(frozen=True)
class MonitorAction:
    kind: Kind
    notify: bool
    since: datetime


def decide(
    state: IncidentState, incident: bool, status: str, now: datetime, *, recovery: bool
) -> tuple[IncidentState, MonitorAction | None]:
    if incident == state.open:
        return state, None
    if incident:
        kind: Kind = status if status in ("missed", "timeout", "error") else "error"  # type: ignore[assignment]
        return IncidentState(open=True, since=now, kind=kind), MonitorAction(kind, True, now)
    return IncidentState(), MonitorAction("recovered", recovery, state.since or now)


def load(state: RuleState) -> IncidentState:
    entry = state.groups.get(_KEY)
    return IncidentState.model_validate(entry.group) if entry else IncidentState()


def dump(state: RuleState, incident: IncidentState, now: datetime) -> RuleState:
    entry = GroupState(since=incident.since or now, group=incident.model_dump(mode="json"))
    return RuleState(last_run=now, last_tick=state.last_tick, groups={_KEY: entry})

"""Incident opened and resolved, once each, as one pure decision over what was last notified.

The evaluation folds the monitor's check-ins and the clock (:func:`api.monitors.view.fold`), which says
whether an incident is open now (``failure_issue_threshold`` failures in a row, until
``recovery_threshold`` ok runs). This compares it with the incident last notified, kept in the lease
document (``Leases[MonitorLease]``, stored in rules' shape: one entry keyed ``monitor``), so the state
changes in the compare-and-set write that releases the tick: one replica notifies, once.

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
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from grokpipe.api.kernel.alertstate import OneGroup

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


class MonitorLease(OneGroup):
    """A monitor's state in its lease document: its last run and tick, and the incident last notified."""

    GROUP: ClassVar[str] = "monitor"

    monitor: IncidentState = Field(default_factory=IncidentState)

    def entry(self) -> tuple[datetime | None, datetime | None]:
        return self.monitor.since, None

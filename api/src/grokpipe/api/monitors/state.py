"""How check-ins and the clock move a monitor (pure): its status, and incidents that alert once.

=====================  ======================================================================
event                  effect
=====================  ======================================================================
check-in in_progress   status ``in_progress``; the run is open until its ok/error check-in
check-in ok / error    closes its run (or is a run of its own); ``ok`` or ``error``; the next
                       run is expected at the schedule's next time after it
tick, past next        ``missed``: no check-in by the scheduled time + ``checkin_margin``; the
expected + margin      run after that is expected next
tick, a run open past  ``timeout``: the run is dropped as failed
``max_runtime``
=====================  ======================================================================

``error``, ``missed`` and ``timeout`` are failures. ``failure_issue_threshold`` failures in a row
open an incident (one ``opened`` transition, however many failures follow); ``recovery_threshold``
``ok`` runs in a row resolve it (one ``resolved``). The caller applies the transitions under a lease,
so that one api replica notifies once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Literal

from grokpipe.api.monitors.schedule import MonitorConfig, next_expected

Status = Literal["pending", "ok", "error", "missed", "timeout", "in_progress"]
Transition = Literal["opened", "resolved"]
FAILURES: frozenset[str] = frozenset({"error", "missed", "timeout"})
MAX_MISSED = 100


@dataclass(frozen=True, slots=True)
class CheckIn:
    id: str
    status: Literal["in_progress", "ok", "error"]
    at: datetime


@dataclass(frozen=True, slots=True)
class MonitorState:
    status: Status
    next_expected: datetime
    last_checkin: datetime | None = None
    open_runs: tuple[tuple[str, datetime], ...] = ()  #: check_in_id, started
    failures: int = 0  #: failures in a row
    successes: int = 0  #: ok runs in a row
    incident: bool = False
    seen: frozenset[str] = field(default_factory=frozenset)  #: closed check-in ids (re-sends change nothing)


def new_state(config: MonitorConfig, created: datetime) -> MonitorState:
    return MonitorState(status="pending", next_expected=next_expected(config, created))


def _outcome(state: MonitorState, config: MonitorConfig, failed: bool) -> tuple[MonitorState, list[Transition]]:
    transitions: list[Transition] = []
    if failed:
        failures, successes = state.failures + 1, 0
        incident = state.incident
        if not incident and failures >= config.failure_issue_threshold:
            incident = True
            transitions.append("opened")
    else:
        failures, successes = 0, state.successes + 1
        incident = state.incident
        if incident and successes >= config.recovery_threshold:
            incident = False
            transitions.append("resolved")
    return replace(state, failures=failures, successes=successes, incident=incident), transitions


def on_checkin(state: MonitorState, config: MonitorConfig, checkin: CheckIn) -> tuple[MonitorState, list[Transition]]:
    if checkin.id in state.seen:
        return state, []
    runs = dict(state.open_runs)
    if checkin.status == "in_progress":
        if checkin.id in runs:
            return state, []
        runs[checkin.id] = checkin.at
        expected = next_expected(config, checkin.at)
        return replace(
            state, status="in_progress", open_runs=tuple(runs.items()), last_checkin=checkin.at, next_expected=expected
        ), []
    runs.pop(checkin.id, None)
    moved = replace(
        state,
        status=checkin.status,
        open_runs=tuple(runs.items()),
        last_checkin=checkin.at,
        next_expected=next_expected(config, checkin.at),
        seen=(state.seen | {checkin.id}) if len(state.seen) < 1000 else frozenset({checkin.id}),
    )
    return _outcome(moved, config, checkin.status == "error")


def on_tick(state: MonitorState, config: MonitorConfig, now: datetime) -> tuple[MonitorState, list[Transition]]:
    """Missed runs and runs past ``max_runtime``, as of ``now``."""
    transitions: list[Transition] = []
    runs = dict(state.open_runs)
    for run_id, started in list(runs.items()):
        if now - started > config.runtime:
            del runs[run_id]
            state = replace(state, status="timeout", open_runs=tuple(runs.items()), seen=state.seen | {run_id})
            state, more = _outcome(state, config, True)
            transitions += more
    missed = 0
    while not runs and now > state.next_expected + config.margin:
        missed += 1
        # after a long outage of the api, the runs it slept through count as one more failure each up to
        # MAX_MISSED; the next expected run is then the first one after now
        after = state.next_expected if missed < MAX_MISSED else now
        state = replace(state, status="missed", next_expected=next_expected(config, after))
        state, more = _outcome(state, config, True)
        transitions += more
    return state, transitions

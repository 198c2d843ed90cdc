"""Each feature's lease state loads the ``state`` field of the documents written before it had a type of its
own (checks and monitors kept a rule's state), and writes the same fields back: a table of stored states."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from pydantic import BaseModel

from grokpipe.api.checks.alerts import CheckLease, CheckState
from grokpipe.api.kernel.alertstate import GroupState
from grokpipe.api.kernel.lease import NoState
from grokpipe.api.monitors.alerts import IncidentState, MonitorLease
from grokpipe.api.rules.state import RuleState

T0, T1, T2 = "2026-01-05T11:50:00Z", "2026-01-05T12:00:00Z", "2026-01-05T12:05:00Z"
at = datetime.fromisoformat
ENTRY = {"last_notified": None, "acknowledged": False, "held": False}
DN = {"down": True, "since": T0, "failures": 3, "successes": 0, "last_notified": T0}
OPEN = {"open": True, "since": T0, "kind": "missed"}
UP = {"down": False, "since": None, "failures": 0, "successes": 2, "last_notified": None}
H = {"host": "web-1"}
CASES: list[tuple[str, type[BaseModel], dict[str, Any], BaseModel, dict[str, Any] | None]] = [
    # (case, state type, stored by the earlier code, loaded as, written back: None when the same as stored)
    (
        "rule firing, acknowledged",
        RuleState,
        {"last_run": T2, "last_tick": T1, "groups": {"a": ENTRY | {"since": T0, "acknowledged": True, "group": H}}},
        RuleState(
            last_run=at(T2),
            last_tick=at(T1),
            groups={"a": GroupState(since=at(T0), acknowledged=True, group=H)},
        ),
        None,
    ),
    ("rule never run", RuleState, {"last_run": None, "last_tick": None, "groups": {}}, RuleState(), None),
    (
        "check down",
        CheckLease,
        {"last_run": T2, "last_tick": T1, "groups": {"check": ENTRY | {"since": T0, "last_notified": T0, "group": DN}}},
        CheckLease(last_run=at(T2), last_tick=at(T1), check=CheckState.model_validate(DN)),
        None,
    ),
    (
        "check recovered: since is its last run",
        CheckLease,
        {"last_run": T2, "last_tick": T1, "groups": {"check": ENTRY | {"since": T2, "group": UP}}},
        CheckLease(last_run=at(T2), last_tick=at(T1), check=CheckState.model_validate(UP)),
        None,
    ),
    (
        "check whose only run failed",
        CheckLease,
        {"last_run": None, "last_tick": T1, "groups": {}},
        CheckLease(last_tick=at(T1)),
        None,
    ),
    (
        "monitor incident open",
        MonitorLease,
        {"last_run": T2, "last_tick": T2, "groups": {"monitor": ENTRY | {"since": T0, "group": OPEN}}},
        MonitorLease(last_run=at(T2), last_tick=at(T2), monitor=IncidentState.model_validate(OPEN)),
        None,
    ),
    (
        "digest, report or sync: nothing kept",
        NoState,
        {"last_run": None, "last_tick": None, "groups": {}},
        NoState(),
        {},
    ),
]


@pytest.mark.parametrize(("kind", "stored", "loaded", "written"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_stored_state_loads_and_is_written_back_with_the_same_fields(
    kind: type[BaseModel], stored: dict[str, Any], loaded: BaseModel, written: dict[str, Any] | None
) -> None:
    assert kind.model_validate(stored) == loaded
    assert loaded.model_dump(mode="json") == (stored if written is None else written)
    assert kind.model_validate(loaded.model_dump(mode="json")) == loaded
    assert kind.model_validate(loaded.model_dump()) == loaded  # python mode too (model_copy, tests)


def test_an_older_replica_reads_a_check_state_as_the_rule_state_it_wrote() -> None:
    """During a rolling upgrade, a replica still on the earlier code loads a check's state as a RuleState."""
    state = CheckLease(last_run=at(T2), check=CheckState.model_validate(DN))
    old = RuleState.model_validate(state.model_dump(mode="json"))
    assert CheckState.model_validate(old.groups["check"].group) == state.check
    assert old.groups["check"].since == at(T0)

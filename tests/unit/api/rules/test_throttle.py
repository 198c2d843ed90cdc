"""Realert / recovery / silence / acknowledge as a pure state machine over a simulated day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from grokpipe.api.rules.conditions import Finding
from grokpipe.api.rules.state import RuleState
from grokpipe.api.rules.throttle import decide

T = datetime(2026, 1, 5, tzinfo=UTC)
DAY = timedelta(days=1)


def _run(
    state: RuleState, keys: list[str], now: datetime, **kw: object
) -> tuple[RuleState, list[tuple[str, str, bool]]]:
    opts: dict[str, object] = {"realert": DAY, "recovery": True, "silenced_until": None} | kw
    new, actions = decide(state, [Finding({"k": k}, 1) for k in keys], now, **opts)  # type: ignore[arg-type]
    return new, [(a.kind, a.key, a.notify) for a in actions]


def test_a_day_of_matches_notifies_once_then_recovers_once() -> None:
    state = RuleState()
    sent: list[tuple[str, str, bool]] = []
    for minute in range(24 * 60):
        state, actions = _run(state, ["g"], T + timedelta(minutes=minute))
        sent += actions
    assert sent == [("fired", "g", True), ("suppressed", "g", False)]  # the first held-back match is recorded
    state, actions = _run(state, ["g"], T + DAY)  # still matching a day later: realert
    assert actions == [("fired", "g", True)]
    for minute in range(1, 60):
        state, actions = _run(state, [], T + DAY + timedelta(minutes=minute))
        sent += actions
    assert sent[-1] == ("recovered", "g", True)
    assert sent.count(("recovered", "g", True)) == 1


def test_groups_are_independent() -> None:
    state, actions = _run(RuleState(), ["a"], T)
    state, actions = _run(state, ["a", "b"], T + timedelta(minutes=1))
    assert actions == [("suppressed", "a", False), ("fired", "b", True)]


def test_silence_records_without_notifying() -> None:
    state, actions = _run(RuleState(), ["a"], T, silenced_until=T + timedelta(hours=1))
    assert actions == [("fired", "a", False)]
    state, actions = _run(state, ["a"], T + timedelta(hours=2), silenced_until=T + timedelta(hours=1))
    assert actions == [("fired", "a", True)]  # never notified: due as soon as the silence ends


def test_acknowledged_group_is_quiet_until_it_recovers() -> None:
    state, _ = _run(RuleState(), ["a"], T, realert=timedelta(0))
    state.groups["a"].acknowledged = True
    state, actions = _run(state, ["a"], T + timedelta(minutes=1), realert=timedelta(0))
    assert actions == [("suppressed", "a", False)]
    state, actions = _run(state, ["a"], T + timedelta(minutes=1, seconds=30), realert=timedelta(0))
    assert actions == []
    state, actions = _run(state, [], T + timedelta(minutes=2), realert=timedelta(0))
    assert actions == [("recovered", "a", True)]
    state, actions = _run(state, ["a"], T + timedelta(minutes=3), realert=timedelta(0))
    assert actions == [("fired", "a", True)]


def test_recovery_can_be_off() -> None:
    state, _ = _run(RuleState(), ["a"], T)
    _, actions = _run(state, [], T + timedelta(minutes=1), recovery=False)
    assert actions == [("recovered", "a", False)]


def test_what_realert_holds_back_is_recorded_once_with_the_reason() -> None:
    state, _ = _run(RuleState(), ["a"], T)
    _, actions = decide(
        state, [Finding({"k": "a"}, 1)], T + timedelta(minutes=1), realert=DAY, recovery=True, silenced_until=None
    )
    assert [(a.kind, a.reason) for a in actions] == [
        ("suppressed", "within realert (86400s) of the last notification at 2026-01-05T00:00:00+00:00")
    ]

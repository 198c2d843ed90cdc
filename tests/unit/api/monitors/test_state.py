"""Monitor status and incidents, event by event (table-driven)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from grokpipe.api.monitors.schedule import MonitorConfig, next_expected
from grokpipe.api.monitors.state import CheckIn, MonitorState, Transition, new_state, on_checkin, on_tick

T0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
NIGHTLY = MonitorConfig.model_validate(
    {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "checkin_margin": 5, "max_runtime": 30}
)


def at(hours: float) -> datetime:
    return T0 + timedelta(hours=hours)


def play(config: MonitorConfig, steps: Sequence[tuple[object, ...]]) -> tuple[MonitorState, list[Transition]]:
    """``("checkin", id, status, hours after T0)`` and ``("tick", hours after T0)``, in order."""
    state = new_state(config, T0)
    seen: list[Transition] = []
    for step in steps:
        if step[0] == "tick":
            state, transitions = on_tick(state, config, at(float(step[1])))  # type: ignore[arg-type]
        else:
            _, run, status, hours = step
            state, transitions = on_checkin(state, config, CheckIn(str(run), status, at(float(hours))))  # type: ignore[arg-type]
        seen += transitions
    return state, seen


@pytest.mark.parametrize(
    ("steps", "status", "transitions"),
    [
        ([], "pending", []),
        ([("tick", 1.05)], "pending", []),  # 02:03, inside the 5 min margin
        ([("tick", 1.1)], "missed", ["opened"]),  # 02:06: missed, an incident
        ([("tick", 1.1), ("tick", 2), ("tick", 3)], "missed", ["opened"]),  # alerts once
        ([("checkin", "a", "in_progress", 1), ("checkin", "a", "ok", 1.2)], "ok", []),
        ([("checkin", "a", "in_progress", 1), ("tick", 1.6)], "timeout", ["opened"]),  # 36 min in progress
        ([("checkin", "a", "in_progress", 1), ("tick", 1.4)], "in_progress", []),
        ([("checkin", "a", "error", 1)], "error", ["opened"]),
        ([("checkin", "a", "error", 1), ("checkin", "b", "ok", 25)], "ok", ["opened", "resolved"]),
        ([("checkin", "a", "error", 1), ("checkin", "a", "error", 1)], "error", ["opened"]),  # a re-send
        ([("tick", 1.1), ("tick", 25.1), ("checkin", "c", "ok", 49)], "ok", ["opened", "resolved"]),
        ([("tick", 500)], "missed", ["opened"]),  # a long outage: failures counted, alerted once
    ],
)
def test_nightly(steps: list[tuple[object, ...]], status: str, transitions: list[str]) -> None:
    state, seen = play(NIGHTLY, steps)
    assert state.status == status
    assert seen == transitions


def test_thresholds() -> None:
    config = NIGHTLY.model_copy(update={"failure_issue_threshold": 2, "recovery_threshold": 2})
    _, seen = play(config, [("checkin", "a", "error", 1)])
    assert seen == []
    _, seen = play(config, [("checkin", "a", "error", 1), ("checkin", "b", "error", 25)])
    assert seen == ["opened"]
    steps = [("checkin", "a", "error", 1), ("checkin", "b", "error", 25), ("checkin", "c", "ok", 49)]
    assert play(config, steps)[1] == ["opened"]
    assert play(config, [*steps, ("checkin", "d", "ok", 73)])[1] == ["opened", "resolved"]


@pytest.mark.parametrize(
    ("schedule", "after", "expected"),
    [
        ({"type": "crontab", "value": "0 2 * * *"}, T0, datetime(2026, 12, 7, 2, 0, tzinfo=UTC)),
        ({"type": "interval", "value": 6, "unit": "hour"}, T0, at(6)),
        ({"type": "interval", "value": 1, "unit": "month"}, datetime(2026, 1, 31, tzinfo=UTC),
         datetime(2026, 2, 28, tzinfo=UTC)),
        ({"type": "interval", "value": 1, "unit": "year"}, T0, datetime(2027, 12, 7, 1, 0, tzinfo=UTC)),
    ],
)  # fmt: skip
def test_next_expected(schedule: dict[str, object], after: datetime, expected: datetime) -> None:
    assert next_expected(MonitorConfig.model_validate({"schedule": schedule}), after) == expected


def test_crontab_in_a_time_zone() -> None:
    config = MonitorConfig.model_validate(
        {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "timezone": "Asia/Shanghai"}
    )
    assert next_expected(config, T0) == datetime(2026, 12, 7, 18, 0, tzinfo=UTC)  # 02:00 in Shanghai


@pytest.mark.parametrize(
    "config",
    [
        {"schedule": {"type": "crontab", "value": "every night"}},
        {"schedule": {"type": "interval", "value": 3}},
        {"schedule": {"type": "interval", "value": 0, "unit": "hour"}},
        {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "timezone": "Mars/Olympus"},
    ],
)
def test_bad_configs(config: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        MonitorConfig.model_validate(config)


def test_sdk_nulls_are_defaults() -> None:
    config = MonitorConfig.model_validate(
        {"schedule": {"type": "crontab", "value": "0 2 * * *"}, "checkin_margin": None, "max_runtime": None,
         "timezone": None}
    )  # fmt: skip
    assert (config.checkin_margin, config.max_runtime, config.timezone) == (1, 30, "UTC")

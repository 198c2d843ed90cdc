"""Down after failure_threshold consecutive failed runs, recovered after success_threshold passes,
realert while down, silence: a table of run sequences."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grokpipe.api.checks.alerts import CheckLease, CheckState, decide

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


def _play(
    runs: str,
    *,
    failures: int = 1,
    successes: int = 1,
    realert: timedelta = timedelta(hours=1),
    silenced_until: datetime | None = None,
    every: timedelta = timedelta(minutes=5),
) -> str:
    """``runs`` of P/F -> the actions, one character per run: D (down, notified), d (down, silent),
    R (recovered, notified), r (recovered, silent), . (nothing)."""
    state = CheckState()
    out = ""
    for i, ch in enumerate(runs):
        state, action = decide(
            state,
            ch == "P",
            T0 + i * every,
            failure_threshold=failures,
            success_threshold=successes,
            realert=realert,
            recovery=True,
            silenced_until=silenced_until,
        )
        if action is None:
            out += "."
        else:
            letter = "D" if action.kind == "fired" else "R"
            out += letter if action.notify else letter.lower()
    return out


@pytest.mark.parametrize(
    ("runs", "kwargs", "expected"),
    [
        ("PPPP", {}, "...."),
        ("PFFFP", {}, ".D..R"),
        ("FPFP", {}, "DRDR"),
        ("PFPFFPP", {"failures": 2}, "....DR."),
        ("FFFPFPPP", {"failures": 2, "successes": 2}, ".D....R."),  # a failure in between restarts the streak
        ("FFFFF", {"realert": timedelta(minutes=10)}, "D.D.D"),
        ("FFFFF", {"realert": timedelta(0)}, "DDDDD"),
        ("FFP", {"silenced_until": T0 + timedelta(hours=1)}, "d.r"),
        ("FFFFFFFFFFFFFFP", {"silenced_until": T0 + timedelta(minutes=30)}, "d.....D.......R"),
    ],
)
def test_sequences(runs: str, kwargs: dict[str, object], expected: str) -> None:
    assert _play(runs, **kwargs) == expected  # type: ignore[arg-type]


def test_state_round_trips_through_the_lease_document() -> None:
    state = CheckLease(last_run=T0, check=CheckState(down=True, since=T0, failures=3, successes=0, last_notified=T0))
    assert CheckLease.model_validate(state.model_dump(mode="json")) == state
    assert CheckLease.model_validate({}) == CheckLease()

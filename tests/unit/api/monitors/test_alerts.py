"""A monitor's incident notifies once when it opens and once when it resolves (table-driven)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from grokpipe.api.monitors import alerts
from grokpipe.api.monitors.alerts import IncidentState, MonitorLease

T0 = datetime(2026, 12, 7, 2, 6, tzinfo=UTC)
OPEN = IncidentState(open=True, since=T0 - timedelta(hours=1), kind="missed")


@pytest.mark.parametrize(
    ("before", "incident", "status", "recovery", "kind", "notify"),
    [
        (IncidentState(), False, "ok", True, None, None),
        (IncidentState(), False, "in_progress", True, None, None),
        (IncidentState(), True, "missed", True, "missed", True),
        (IncidentState(), True, "timeout", True, "timeout", True),
        (IncidentState(), True, "error", True, "error", True),
        (IncidentState(), True, "in_progress", True, "error", True),  # opened, then a new run started
        (OPEN, True, "missed", True, None, None),  # one alert per incident
        (OPEN, True, "error", True, None, None),
        (OPEN, False, "ok", True, "recovered", True),
        (OPEN, False, "ok", False, "recovered", False),  # recovery: false records without notifying
    ],
)
def test_decide(
    before: IncidentState, incident: bool, status: str, recovery: bool, kind: str | None, notify: bool | None
) -> None:
    after, action = alerts.decide(before, incident, status, T0, recovery=recovery)
    assert (action.kind if action else None, action.notify if action else None) == (kind, notify)
    assert after.open is incident
    if action is not None and action.kind == "recovered":
        assert action.since == OPEN.since


def test_state_rides_in_the_lease_document() -> None:
    opened, _ = alerts.decide(IncidentState(), True, "missed", T0, recovery=True)
    state = MonitorLease(last_run=T0, monitor=opened)
    assert MonitorLease.model_validate(state.model_dump(mode="json")) == state
    assert MonitorLease.model_validate({}) == MonitorLease()

"""Report cells from a stored row (pure): matrix values, stored values or their 'missing' text, step outcomes;
a cron monitor's row."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from grokpipe.api.checks.redaction import redact
from grokpipe.api.checks.reports import cell, monitor_cell, monitor_row
from grokpipe.api.checks.runner import row_key
from grokpipe.api.checks.schemas import ReportBody, ReportColumn, RunRecord, StepResult
from grokpipe.api.monitors.view import Monitor

RECORD = RunRecord(
    run_id="r1",
    check_id="c1",
    check_name="metering",
    timestamp=datetime(2026, 1, 5, tzinfo=UTC),
    row={"service": "tts"},
    row_key="service=tts",
    status="down",
    error="after: assert ...",
    steps=[
        StepResult(name="before", kind="request", status="passed"),
        StepResult(name="call", kind="request", status="failed"),
        StepResult(name="after", kind="request", status="skipped"),
    ],
    stored={"before": 11, "session": "abc"},
)


@pytest.mark.parametrize(
    ("source", "missing", "expected"),
    [
        ("matrix.service", "—", "tts"),
        ("row", "—", "service=tts"),
        ("check", "—", "metering"),
        ("status", "—", "FAILED"),
        ("error", "—", "after: assert ..."),
        ("stored.before", "count failed", "11"),
        ("stored.after", "count failed", "count failed"),
        ("step.before", "—", "OK"),
        ("step.call", "—", "FAILED"),
        ("step.after", "—", "SKIPPED"),
        ("step.nope", "n/a", "n/a"),
        ("matrix.region", "—", "—"),
    ],
)
def test_cells(source: str, missing: str, expected: str) -> None:
    assert cell(ReportColumn(title="t", source=source, missing=missing), RECORD, "metering") == expected


def test_no_result() -> None:
    assert cell(ReportColumn(title="t", source="status"), None, "x") == "no result"
    assert cell(ReportColumn(title="t", source="stored.a", missing="count failed"), None, "x") == "count failed"


def test_redact_and_row_key() -> None:
    value = {"url": "https://a/?p=s3cr3t", "list": ["xs3cr3tx", 1], "n": 2}
    assert redact(value, ["s3cr3t"]) == {"url": "https://a/?p=[redacted]", "list": ["x[redacted]x", 1], "n": 2}
    assert row_key({"service": "iat", "region": "bj"}) == "service=iat,region=bj"
    assert row_key({}) == ""


MISSED = Monitor(
    slug="qa-inspection",
    name="QA inspection",
    status="missed",
    last_checkin=datetime(2026, 1, 4, 2, 3, tzinfo=UTC),
)


@pytest.mark.parametrize(
    ("monitor", "source", "expected"),
    [
        (MISSED, "check", "QA inspection"),
        (MISSED, "row", "cron monitor"),
        (MISSED, "status", "FAILED"),
        (MISSED, "error", "missed (last check-in 2026-01-04T02:03+00:00)"),
        (MISSED, "stored.before", "—"),
        (MISSED.model_copy(update={"status": "ok"}), "status", "passed"),
        (MISSED.model_copy(update={"status": "ok"}), "error", ""),
        (MISSED.model_copy(update={"status": "in_progress"}), "status", "passed"),
        (MISSED.model_copy(update={"status": "timeout"}), "status", "FAILED"),
        (MISSED.model_copy(update={"status": "pending"}), "status", "no result"),
        (None, "check", "qa-inspection"),
        (None, "status", "no result"),
    ],
)
def test_monitor_cells(monitor: Monitor | None, source: str, expected: str) -> None:
    assert monitor_cell(ReportColumn(title="t", source=source, missing="—"), "qa-inspection", monitor) == expected


def test_monitor_rows() -> None:
    report = ReportBody(name="QA", monitors=["qa-inspection"])
    assert monitor_row(report, "qa-inspection", MISSED).status == "down"
    assert monitor_row(report, "qa-inspection", MISSED.model_copy(update={"status": "ok"})).status == "up"
    assert monitor_row(report, "qa-inspection", None).status == "no result"
    with pytest.raises(ValidationError):
        ReportBody(name="QA")

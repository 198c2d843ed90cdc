"""Report cells from a stored row (pure): matrix values, stored values or their 'missing' text, step outcomes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from grokpipe.api.checks.redaction import redact
from grokpipe.api.checks.reports import cell
from grokpipe.api.checks.runner import row_key
from grokpipe.api.checks.schemas import ReportColumn, RunRecord, StepResult

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

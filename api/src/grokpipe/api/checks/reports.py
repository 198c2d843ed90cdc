"""Reports: the latest run of each listed check as a table (HTML by e-mail, markdown to chat).

A row per check and matrix row, then a row per listed cron monitor (did the job run: its status as
of now, ``missed``, ``timeout`` or ``error`` failing); the columns come from the report
(``stored.before``, ``step.call``...; a monitor's row fills ``check``, ``row``, ``status`` and
``error``). The heading counts rows: executed N; passed P; failed F (a check that never ran, or a
monitor that never checked in, is one "no result" row). Scheduled sends claim the tick with lease
``report-<id>``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from prometheus_client import Counter
from pydantic import BaseModel

from grokpipe.api.checks import layouts
from grokpipe.api.checks.results import ResultStore
from grokpipe.api.checks.schemas import Report, ReportBody, ReportColumn, ReportResult, ReportRow, RunRecord
from grokpipe.api.checks.store import CheckStore
from grokpipe.api.errors import NotFound
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.kernel.lease import Leases
from grokpipe.api.kernel.send import ScheduledSend
from grokpipe.api.monitors.view import Monitor
from grokpipe.api.notifiers.dispatch import Dispatcher
from grokpipe.api.notifiers.message import Message, Subject

log = logging.getLogger(__name__)


class ReportTitle(BaseModel):
    name: str
    description: str | None


class ReportLine(BaseModel):
    label: str
    check_id: str | None  #: None for a cron monitor's row
    cells: list[str]
    pairs: list[list[str]]  # [column title, cell]
    failed: bool
    status: str


class ReportTotals(BaseModel):
    executed: int
    passed: int
    failed: int


class ReportFacts(BaseModel):
    """The ``report`` layout's context: the report, its columns, one line per check row, totals."""

    report: ReportTitle
    columns: list[str]
    rows: list[ReportLine]
    totals: ReportTotals
    generated: str  # ISO 8601


REPORTS = Counter("grokpipe_api_check_reports_total", "Check reports sent", ["outcome"])
_STEP_LABELS = {"passed": "OK", "failed": "FAILED", "skipped": "SKIPPED"}


def cell(column: ReportColumn, record: RunRecord | None, check_name: str) -> str:
    """One cell of the table (pure)."""
    kind, _, name = column.source.partition(".")
    if kind == "check":
        return check_name
    if record is None:
        return "no result" if kind == "status" else column.missing
    value: Any = None
    if kind == "row":
        value = record.row_key or None
    elif kind == "status":
        value = "passed" if record.status == "up" else "FAILED"
    elif kind == "error":
        value = record.error or ""
    elif kind == "matrix":
        value = record.row.get(name)
    elif kind == "stored":
        value = record.stored.get(name)
    elif kind == "step":
        step = next((s for s in record.steps if s.name == name), None)
        value = _STEP_LABELS[step.status] if step else None
    return column.missing if value is None else str(value)


def rows_of(report: ReportBody, check_id: str, check_name: str, records: list[RunRecord]) -> list[ReportRow]:
    if not records:
        cells = [cell(c, None, check_name) for c in report.columns]
        return [ReportRow(check_id=check_id, check_name=check_name, row_key="", status="no result", cells=cells)]
    return [
        ReportRow(
            check_id=check_id,
            check_name=check_name,
            row_key=r.row_key,
            status=r.status,
            cells=[cell(c, r, check_name) for c in report.columns],
            run_id=r.run_id,
            timestamp=r.timestamp,
        )
        for r in records
    ]


MonitorLookup = Callable[[str], Monitor | None]
_MONITOR_UP = {"ok", "in_progress"}


def monitor_cell(column: ReportColumn, slug: str, monitor: Monitor | None) -> str:
    """One cell of a cron monitor's row (pure)."""
    kind = column.source.partition(".")[0]
    if kind == "check":
        return monitor.name or slug if monitor else slug
    if kind == "row":
        return "cron monitor"
    if monitor is None or monitor.status == "pending":
        return "no result" if kind == "status" else column.missing
    if kind == "status":
        return "passed" if monitor.status in _MONITOR_UP else "FAILED"
    if kind == "error":
        if monitor.status in _MONITOR_UP:
            return ""
        last = monitor.last_checkin.isoformat(timespec="minutes") if monitor.last_checkin else "never"
        return f"{monitor.status} (last check-in {last})"
    return column.missing


def monitor_row(report: ReportBody, slug: str, monitor: Monitor | None) -> ReportRow:
    if monitor is None or monitor.status == "pending":
        status: str = "no result"
    else:
        status = "up" if monitor.status in _MONITOR_UP else "down"
    return ReportRow(
        check_id="",
        monitor=slug,
        check_name=(monitor.name if monitor else None) or slug,
        row_key="",
        status=status,  # type: ignore[arg-type]
        cells=[monitor_cell(c, slug, monitor) for c in report.columns],
        timestamp=monitor.last_checkin if monitor else None,
    )


class ReportRunner(ScheduledSend[Report, ReportResult, Message]):
    """A report's scheduled send (:mod:`grokpipe.api.kernel.send`): evaluate = build the table, its message;
    :meth:`send` is the same send outside the schedule ("send now")."""

    kind = "report"

    def __init__(
        self,
        es: Elasticsearch,
        checks: CheckStore,
        results: ResultStore,
        dispatcher: Dispatcher,
        leases: Leases[Any],
        *,
        alerts_index: str,
        clock: Clock,
        monitors: MonitorLookup | None = None,
    ) -> None:
        super().__init__(es, dispatcher, leases, alerts_index=alerts_index, clock=clock)
        self.es = es
        self.checks = checks
        self.monitors = monitors
        self.results = results

    def build(self, report: ReportBody, report_id: str | None = None) -> ReportResult:
        rows: list[ReportRow] = []
        for check_id in report.checks:
            try:
                name = self.checks.get(check_id).name
            except NotFound:
                name = check_id
            rows.extend(rows_of(report, check_id, name, self.results.latest(check_id)))
        for slug in report.monitors:
            rows.append(monitor_row(report, slug, self.monitors(slug) if self.monitors else None))
        passed = sum(r.status == "up" for r in rows)
        return ReportResult(
            report_id=report_id,
            name=report.name,
            generated=self.clock(),
            columns=[c.title for c in report.columns],
            rows=rows,
            executed=len(rows),
            passed=passed,
            failed=len(rows) - passed,
        )

    def message(self, report: ReportBody, result: ReportResult) -> Message:
        titles = result.columns
        rows = [
            ReportLine(
                label=f"{r.check_name} {r.row_key}".strip(),
                check_id=r.check_id or None,
                cells=r.cells,
                pairs=[[t, c] for t, c in zip(titles, r.cells, strict=True)],
                failed=r.status != "up",
                status=r.status,
            )
            for r in result.rows
        ]
        facts = ReportFacts(
            report=ReportTitle(name=report.name, description=report.description),
            columns=titles,
            rows=rows,
            totals=ReportTotals(executed=result.executed, passed=result.passed, failed=result.failed),
            generated=result.generated.isoformat(),
        )
        return Message(
            kind="report",
            rule=Subject(id=result.report_id, name=report.name, description=report.description),
            count=result.failed,
            start=result.generated,
            end=result.generated,
            layout=layouts.REPORT,
            facts=facts,
        )

    def send(self, report: Report, tick: datetime) -> ReportResult:
        """Build ``report`` and send it now, outside its schedule and its lease."""
        return self.deliver(report, self.evaluate(report, tick), tick)

    # -- the scheduled send's steps (grokpipe.api.kernel.send) ---------------------------------------

    def evaluate(self, job: Report, tick: datetime) -> ReportResult:
        return self.build(job, job.id)

    def count(self, evaluation: ReportResult) -> int:
        return evaluation.failed

    def sent(self, job: Report, evaluation: ReportResult, *, failed: bool) -> None:
        REPORTS.labels(outcome="failed" if failed else "sent").inc()
        log.info("check report sent", extra={"report.id": job.id, "rows": len(evaluation.rows), "failed": failed})

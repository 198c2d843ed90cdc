"""``/reports``: scheduled tables of the latest check results (CRUD like digests), preview, send now."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Response, status

from grokpipe.api.checks.routes import ChecksDep
from grokpipe.api.checks.schemas import (
    Report,
    ReportCreate,
    ReportMessagesPreview,
    ReportResult,
    ReportUpdate,
)
from grokpipe.api.kernel.access import AdminAccess, ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.kernel.schemas import Page
from grokpipe.api.params import Paging

router = APIRouter(prefix="/reports", tags=["reports"], route_class=DeclaredRoute)
IfMatch = Annotated[str | None, Header(description="the report's version; a stale one gets 409")]


@router.post("", status_code=status.HTTP_201_CREATED)
def create_report(body: ReportCreate, checks: ChecksDep, _: AdminAccess, response: Response) -> Report:
    return checks.report_crud.create(body, response)


@router.get("")
def list_reports(
    *,
    checks: ChecksDep,
    _: ReadAccess,
    enabled: bool | None = None,
    window: Paging,
) -> Page[Report]:
    offset, limit = window
    return checks.reports.search(offset=offset, limit=limit, enabled=enabled)


@router.post("/preview")
def preview_report(body: ReportCreate, checks: ChecksDep, _: ReadAccess) -> ReportResult:
    """The table the report would send now, without sending."""
    return checks.report_runner.build(body)


@router.get("/{report_id}")
def get_report(report_id: str, checks: ChecksDep, _: ReadAccess, response: Response) -> Report:
    return checks.report_crud.get(report_id, response)


@router.post("/{report_id}/preview")
def preview_report_messages(report_id: str, checks: ChecksDep, _: ReadAccess) -> ReportMessagesPreview:
    """The stored report's table now, and what each of its notifiers would receive (the rendered message
    per channel, the e-mail's HTML too). Nothing is sent."""
    report = checks.reports.get(report_id)
    runner = checks.report_runner
    result = runner.build(report, report.id)
    message = runner.message(report, result)
    return ReportMessagesPreview(result=result, messages=checks.dispatcher.preview(report.notify, message))


@router.put("/{report_id}")
def replace_report(
    report_id: str, body: ReportCreate, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None
) -> Report:
    return checks.report_crud.replace(report_id, body, if_match)


@router.patch("/{report_id}")
def update_report(
    report_id: str, body: ReportUpdate, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None
) -> Report:
    return checks.report_crud.update(report_id, body, if_match)


@router.delete("/{report_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_report(report_id: str, checks: ChecksDep, _: AdminAccess, if_match: IfMatch = None) -> Response:
    checks.report_crud.delete(report_id, if_match)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/{report_id}/run")
def run_report(report_id: str, checks: ChecksDep, _: AdminAccess) -> ReportResult:
    """Send now: the latest result of each check."""
    report = checks.reports.get(report_id)
    return checks.report_runner.send(report, checks.clock())

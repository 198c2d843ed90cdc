"""Checks: the latest status of each check and matrix row; a check's runs with step-by-step results.

Everything shown comes from what ``/checks`` returns to a read key: secret names, never values
(the runner redacts secret values from every result before it is stored).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.checks.schemas import CheckPublic, RequestStep, RunRecord, WaitStep
from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.render import page
from grokpipe.api.params import MAX_WINDOW

router = APIRouter()
RUNS_PAGE = 60  # result documents (run x matrix row) per page


@dataclass(frozen=True)
class CheckRow:
    check: CheckPublic
    latest: list[RunRecord]

    @property
    def status(self) -> str:
        if not self.latest:
            return "no result"
        return "down" if any(r.status == "down" for r in self.latest) else "up"


@dataclass(frozen=True)
class Run:
    """One run: its rows (one per matrix row), newest run first."""

    run_id: str
    rows: list[RunRecord]

    @property
    def status(self) -> str:
        return "down" if any(r.status == "down" for r in self.rows) else "up"


def runs_of(records: list[RunRecord]) -> list[Run]:
    """Result documents (newest first) grouped by run, in order."""
    runs: dict[str, list[RunRecord]] = {}
    for record in records:
        runs.setdefault(record.run_id, []).append(record)
    return [Run(run_id, sorted(rows, key=lambda r: r.row_key)) for run_id, rows in runs.items()]


@router.get("/checks", response_class=HTMLResponse)
def checks_list(request: Request, session: Viewer, services: ServicesDep) -> HTMLResponse:
    found = services.checks.store.search(limit=500)
    rows = [CheckRow(CheckPublic.of(c), services.checks.results.latest(c.id)) for c in found.items]
    return page(
        request,
        "checks.html",
        session=session,
        now=services.clock(),
        nav="checks",
        title="Checks",
        rows=rows,
        total=found.total,
    )


def shown_stored(steps: list[RequestStep | WaitStep]) -> set[str]:
    """Stored values are secret (a session cookie, a token) unless their step lists them in ``show``."""
    return {name for step in steps if isinstance(step, RequestStep) for name in step.show}


@router.get("/checks/{check_id}", response_class=HTMLResponse)
def check_page(
    *,
    request: Request,
    check_id: str,
    session: Viewer,
    services: ServicesDep,
    offset: Annotated[int, Query(ge=0, le=MAX_WINDOW - RUNS_PAGE)] = 0,
) -> HTMLResponse:
    check = CheckPublic.of(services.checks.store.get(check_id))
    history = services.checks.results.history(check_id, offset=offset, limit=RUNS_PAGE)
    definition = check.model_dump(mode="json", by_alias=True, exclude={"id", "version", "created", "updated"})
    return page(
        request,
        "check.html",
        session=session,
        now=services.clock(),
        nav="checks",
        title=check.name,
        check=check,
        definition=definition,
        shown=shown_stored(check.steps),
        runs=runs_of(history.items),
        total=history.total,
        offset=offset,
        page_size=RUNS_PAGE,
    )

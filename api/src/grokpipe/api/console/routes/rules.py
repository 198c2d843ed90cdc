"""Rules: each with its firing groups, last run and lateness; a rule's definition, preview and history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from grokpipe.api.console.access import ServicesDep, Viewer
from grokpipe.api.console.render import page
from grokpipe.api.console.routes.alerts import history
from grokpipe.api.errors import ApiError
from grokpipe.api.rules.schemas import Rule
from grokpipe.api.rules.state import RuleState

router = APIRouter()
#: a rule whose next tick is overdue by more than this is shown as late
LATE_AFTER = timedelta(minutes=1)


def lateness(rule: Rule, state: RuleState, now: datetime) -> timedelta | None:
    """How long the tick after the last evaluated one has been due (zero if not due yet).

    None when the rule never ran. A healthy rule is between zero and a few scheduler ticks late; a
    rule stuck behind a slow worker or a dead replica's lease grows late by the minute.
    """
    if state.last_tick is None:
        return None
    due = rule.schedule.next_after(state.last_tick)
    return max(timedelta(0), now - due)


@dataclass(frozen=True)
class RuleRow:
    rule: Rule
    state: RuleState
    lateness: timedelta | None

    @property
    def late(self) -> bool:
        return self.rule.enabled and self.lateness is not None and self.lateness > LATE_AFTER


@router.get("/rules", response_class=HTMLResponse)
def rules_list(request: Request, session: Viewer, services: ServicesDep) -> HTMLResponse:
    now = services.clock()
    found = services.store.search(limit=500)
    rows = []
    for rule in found.items:
        state = services.leases.state(rule.id)
        rows.append(RuleRow(rule, state, lateness(rule, state, now)))
    return page(
        request, "rules.html", session=session, now=now, nav="rules", title="Rules", rows=rows, total=found.total
    )


def _parse_local(value: str) -> datetime | None:
    """A ``datetime-local`` input (``2026-01-05T11:55``), read as UTC; ISO 8601 with an offset works too."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule_page(
    *, request: Request, rule_id: str, session: Viewer, services: ServicesDep, start: str = "", end: str = ""
) -> HTMLResponse:
    now = services.clock()
    rule = services.store.get(rule_id)
    state = services.leases.state(rule_id)
    begin, finish = _parse_local(start), _parse_local(end)
    preview: dict[str, object] | None = None
    if start or end:
        if begin is None or finish is None or begin >= finish:
            preview = {"error": "give a start before the end (UTC)"}
        else:
            try:
                evaluation = services.runner.search(rule, begin, finish)
            except ApiError as exc:
                preview = {"error": exc.message}
            else:
                preview = {
                    "total": evaluation.total,
                    "groups": evaluation.groups_seen,
                    "findings": evaluation.findings,
                    # what each notifier would receive for the first group, rendered in its channel's format
                    "messages": services.dispatcher.preview(
                        rule.notify,
                        services.runner.message(
                            rule, "fired", evaluation.findings[0].group, evaluation.findings[0], start=begin, end=finish
                        ),
                    )
                    if evaluation.findings
                    else {},
                }
    default_end = finish or now
    default_start = begin or default_end - rule.window_td
    alerts, alerts_total = history(services, rule_id=rule_id, limit=50)
    definition = rule.model_dump(mode="json", exclude={"id", "version", "created", "updated"})
    return page(
        request,
        "rule.html",
        session=session,
        now=now,
        nav="rules",
        title=rule.name,
        rule=rule,
        row=RuleRow(rule, state, lateness(rule, state, now)),
        definition=definition,
        preview=preview,
        start=_local(default_start),
        end=_local(default_end),
        alerts=alerts,
        alerts_total=alerts_total,
    )

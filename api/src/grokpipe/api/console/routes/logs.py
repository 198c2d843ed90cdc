"""Logs: a query over a time range, its histogram, the events newest first, a field's top values, the
numbers of a numeric field; save the search, or make a rule of it (prefilled, previewed).

Every view is what ``Searcher`` answers to ``GET /search`` and friends, so the page and the API agree;
each request asks only for what the page draws (the histogram with the first page, the top values of
the one field clicked, the numbers when asked). Works without JavaScript.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from grokpipe.api.console import histogram
from grokpipe.api.console.access import Actor, BadForm, ServicesDep, Viewer, base_path
from grokpipe.api.console.params import Filters
from grokpipe.api.console.render import page
from grokpipe.api.errors import ApiError, InvalidQuery
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.search.query import NUMERIC, TEXT
from grokpipe.api.search.schemas import SavedSearch, SavedSearchCreate, SearchPage, Stats, TopValues
from grokpipe.api.search.timerange import QUICK, TimeRange
from grokpipe.api.services import Services
from grokpipe.fieldnames import ERROR_GROUPING_KEY, ERROR_TITLE, LOG_PATTERN_KEY, LOG_PATTERN_TEMPLATE

router = APIRouter()
PAGE = 50
#: fields shown first in an event's expanded view
FIRST = ("@timestamp", "message", "event.original", "event.dataset", "log.level", "host.name")
#: a rule made from a search previews over this many of its windows
PREVIEW_WINDOWS = 12


def refine(query: str, field: str, value: Any, *, include: bool) -> str:
    """``query`` narrowed to events whose ``field`` is (``include``) or is not ``value``."""
    text = str(value).replace("\\", "\\\\").replace('"', '\\"')
    clause = f'{field}:"{text}"' if include else f'NOT {field}:"{text}"'
    query = query.strip()
    if not query:
        return clause
    if " OR " in query:
        query = f"({query})"
    return f"{query} AND {clause}"


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _parse_local(value: str) -> datetime | None:
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise InvalidQuery(f"not a time: {value!r} (use 2026-12-07T08:00)", reason="range") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _span(services: Services, since: str, start: str, until: str) -> TimeRange:
    if since == "custom":
        return TimeRange.resolve(services.clock(), start=_parse_local(start), end=_parse_local(until))
    return TimeRange.resolve(services.clock(), since=since if since in QUICK else "15m")


def saved_link(saved: SavedSearch) -> dict[str, str]:
    """The page's parameters for a saved search: its quick range, or its absolute one."""
    params = {"q": saved.query, "index": saved.index}
    if saved.start is not None:
        end = saved.end or datetime.now(UTC)
        return params | {"since": "custom", "start": _local(saved.start), "until": _local(end)}
    return params | {"since": saved.since or "15m"}


def _problem(exc: ApiError) -> dict[str, Any]:
    return {"message": exc.message, **exc.details}


def _ordered(fields: dict[str, Any]) -> list[tuple[str, Any]]:
    head = [(k, fields[k]) for k in FIRST if k in fields]
    return head + sorted((k, v) for k, v in fields.items() if k not in FIRST)


class LogFilters(Filters):
    """The search (``q`` over ``index`` in a quick or absolute range) and what the page draws of it."""

    q: str = ""
    since: str = "15m"
    start: str = ""
    until: str = ""
    index: str = "logs-*"
    after: str = ""
    field: str = ""
    stat: str = ""
    by: str = ""
    saved: str = ""


LogQuery = Annotated[LogFilters, Query()]


@router.get("/logs", response_class=HTMLResponse)
def logs_page(request: Request, session: Viewer, services: ServicesDep, filters: LogQuery) -> HTMLResponse:
    state = filters.echo({"q", "since", "start", "until", "index"})
    q, index = filters.q, filters.index
    error: dict[str, Any] | None = None
    result: SearchPage | None = None
    top: TopValues | None = None
    stats: Stats | None = None
    span: TimeRange | None = None
    try:
        span = _span(services, filters.since, filters.start, filters.until)
        result = services.search.page(
            q, span, index=index, size=PAGE, after=filters.after or None, histogram=not filters.after
        )
        if filters.field:
            top = services.search.top(q, span, filters.field, index=index)
        if filters.stat:
            stats = services.search.stats(q, span, filters.stat, by=filters.by or None, index=index)
    except InvalidQuery as exc:
        error = _problem(exc)
    mapping = services.fields.fields(index)
    chart = None
    if result is not None and result.histogram is not None:
        bars = [(datetime.fromisoformat(b.start.replace("Z", "+00:00")), b.count) for b in result.histogram.bars]
        chart = histogram.chart(bars, width=960, height=90, gap=1)
    seen: Counter[str] = Counter()
    for event in result.events if result else []:
        seen.update(event.fields.keys())
    events = [
        {
            "event": e,
            "fields": _ordered(e.fields),
            "line": e.fields.get("event.original") or e.fields.get("message") or "",
            "group": e.fields.get(ERROR_GROUPING_KEY),
            "group_title": e.fields.get(ERROR_TITLE),
            "pattern": e.fields.get(LOG_PATTERN_TEMPLATE) or e.fields.get(LOG_PATTERN_KEY),
        }
        for e in (result.events if result else [])
    ]
    default_start = span.start if span else services.clock() - timedelta(minutes=15)
    default_end = span.end if span else services.clock()
    return page(
        request,
        "logs.html",
        session=session,
        now=services.clock(),
        nav="logs",
        title="Logs",
        state=state,
        quick=QUICK,
        error=error,
        result=result,
        chart=chart,
        events=events,
        field_names=sorted(seen),
        field_counts=seen,
        field=filters.field,
        top=top,
        stat=filters.stat,
        by=filters.by,
        stats=stats,
        numeric=sorted(k for k, v in mapping.items() if v in NUMERIC),
        groupable=sorted(k for k, v in mapping.items() if v not in TEXT and v not in NUMERIC and v != "date"),
        saved_searches=services.saved_searches.list(),
        saved=filters.saved,
        start_local=_local(default_start),
        until_local=_local(default_end),
        link=lambda **over: "?" + urlencode({k: v for k, v in (state | over).items() if v not in ("", None)}),
        refine=refine,
        saved_link=saved_link,
    )


@router.post("/logs/save")
def save_search(request: Request, action: Actor, services: ServicesDep) -> RedirectResponse:
    form = action.form
    name = form.get("name", "").strip()
    if not name:
        raise BadForm("give the search a name")
    since = form.get("since", "15m")
    body = SavedSearchCreate(
        name=name,
        query=form.get("q", ""),
        index=form.get("index", "logs-*") or "logs-*",
        since=since if since in QUICK else None,
        start=_parse_local(form.get("start", "")) if since == "custom" else None,
        end=_parse_local(form.get("until", "")) if since == "custom" else None,
    )
    saved = services.saved_searches.create(body)
    params = {"q": saved.query, "index": saved.index, "since": since, "saved": saved.name}
    if since == "custom":
        params |= {"start": form.get("start", ""), "until": form.get("until", "")}
    return RedirectResponse(f"{base_path(request)}/logs?{urlencode(params)}", status_code=303)


def _rule_from(form: dict[str, str]) -> RuleCreate:
    """The rule the form describes; ``BadForm`` names what is wrong."""
    kind = form.get("condition", "threshold")
    condition: dict[str, Any]
    if kind == "percentile":
        condition = {
            "type": "percentile",
            "field": form.get("field", ""),
            "percentile": form.get("percentile", "95"),
            "op": form.get("op", "above"),
            "value": form.get("value", ""),
        }
    else:
        condition = {"type": "threshold", "count": form.get("count", "1") or "1"}
    data = {
        "name": form.get("name", "").strip() or form.get("q", "").strip()[:200] or "all events",
        "index": form.get("index", "logs-*") or "logs-*",
        "query": form.get("q", ""),
        "window": form.get("window", "5m") or "5m",
        "schedule": {"interval": form.get("interval", "1m") or "1m"},
        "group_by": [g.strip() for g in form.get("group_by", "").split(",") if g.strip()],
        "condition": condition,
        "realert": form.get("realert", "1h") or "1h",
        "notify": [n for n in form.get("notify", "").split(",") if n],
    }
    try:
        return RuleCreate.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BadForm(f"{where}: {first['msg']}") from None


@router.get("/logs/rule", response_class=HTMLResponse)
def rule_from_search(request: Request, session: Viewer, services: ServicesDep) -> HTMLResponse:
    """The rule form, prefilled from the search, with what the rule would have fired over its last windows."""
    form = dict(request.query_params)
    preview: dict[str, Any] | None = None
    error = ""
    try:
        rule = _rule_from(form)
        services.runner.compile(rule)
        end = services.clock()
        start = end - rule.window_td * PREVIEW_WINDOWS
        evaluation = services.runner.search(rule, start, end)
        preview = {"start": start, "end": end, "total": evaluation.total, "findings": evaluation.findings}
    except ApiError as exc:
        error = exc.message + (f" ({exc.details['reason']})" if exc.details.get("reason") else "")
    return page(
        request,
        "logs_rule.html",
        session=session,
        now=services.clock(),
        nav="logs",
        title="New rule from a search",
        form=form,
        preview=preview,
        error=error,
        notifiers=sorted(services.settings.notifiers),
        windows=PREVIEW_WINDOWS,
    )


@router.post("/logs/rule")
def create_rule(request: Request, action: Actor, services: ServicesDep) -> RedirectResponse:
    rule = _rule_from(action.form)
    services.runner.compile(rule)
    created = services.store.create(rule)
    return RedirectResponse(f"{base_path(request)}/rules/{created.id}", status_code=303)

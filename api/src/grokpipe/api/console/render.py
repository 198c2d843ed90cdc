"""Jinja2 (autoescape on, strict undefined) from the package's templates, and the page response."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from grokpipe.api.console.access import base_path
from grokpipe.api.console.session import Session


def moment(value: datetime | str | None) -> str:
    """``2026-01-05 12:00:03 UTC``: one timezone everywhere, as the API speaks."""
    if value is None or value == "":
        return "—"
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            return str(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def span(delta: timedelta | float | None) -> str:
    """A duration as people say it: ``45 s``, ``12 min``, ``3 h``, ``4 d``."""
    if delta is None:
        return "—"
    seconds = delta.total_seconds() if isinstance(delta, timedelta) else float(delta)
    seconds = abs(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{seconds:.0f} s"


def pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=str, ensure_ascii=False)


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("grokpipe.api.console", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["moment"] = moment
    env.filters["span"] = span
    env.filters["pretty"] = pretty
    return env


ENV = _env()


def page(
    request: Request,
    template: str,
    *,
    session: Session | None,
    status: int = 200,
    now: datetime | None = None,
    **context: Any,
) -> HTMLResponse:
    html = ENV.get_template(template).render(
        base=base_path(request),
        session=session,
        csrf=session.csrf if session else "",
        path=request.url.path,
        now=now,
        **context,
    )
    return HTMLResponse(html, status_code=status)

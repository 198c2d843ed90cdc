"""``console_app``: the console as a sub-application mounted at ``/ui`` (HTML errors, its own assets).

It reads the parent app's ``Services`` (built in the parent's lifespan) at request time. Every page
is sent with a strict Content-Security-Policy: assets from the console itself only, so nothing a page
shows can load from (or send to) another origin.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from grokpipe.api.config import ApiSettings
from grokpipe.api.console.access import Forbidden, LoginRequired, base_path, current_session, get_sessions
from grokpipe.api.console.render import page
from grokpipe.api.console.routes import alerts, checks, errors, login, logs, monitors, patterns, rules
from grokpipe.api.console.session import Sessions
from grokpipe.api.errors import ApiError

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


def _problem(request: Request, status: int, message: str) -> Response:
    try:
        session = current_session(request, get_sessions(request))
    except ApiError:  # the problem may be Elasticsearch itself: the page shows no session then
        session = None
    return page(request, "problem.html", session=session, status=status, title=f"{status}", nav="", message=message)


def console_app(parent: FastAPI, settings: ApiSettings) -> FastAPI:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.parent = parent
    app.state.sessions = Sessions(settings.auth)
    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    for module in (login, errors, patterns, logs, rules, alerts, checks, monitors):
        app.include_router(module.router)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        response.headers.update(HEADERS)
        if not request.url.path.startswith(f"{base_path(request)}/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        from urllib.parse import quote

        return RedirectResponse(f"{base_path(request)}/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(Forbidden)
    async def _forbidden(request: Request, exc: Forbidden) -> Response:
        return _problem(request, 403, exc.message)

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> Response:
        return _problem(request, exc.status, exc.message)

    @app.exception_handler(HTTPException)
    async def _http(request: Request, exc: HTTPException) -> Response:
        return _problem(request, exc.status_code, str(exc.detail))

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        fields = ", ".join(".".join(str(p) for p in e["loc"][1:]) for e in exc.errors())
        return _problem(request, 400, f"invalid parameters: {fields}")

    return app

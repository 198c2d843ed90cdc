"""Log in with an API key (kept as a signed session cookie, never the key), log out."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from grokpipe.api.console.access import (
    COOKIE,
    LOGIN_COOKIE,
    Forbidden,
    ServicesDep,
    SessionsDep,
    Submitted,
    base_path,
    clear_cookie,
    current_session,
    read_form,
    safe_next,
    set_cookie,
)
from grokpipe.api.console.render import page
from grokpipe.api.console.session import Sessions
from grokpipe.api.kernel.access import client_address, retry_after

router = APIRouter()
LOGIN_FORM_SECONDS = 3600


def _login_page(
    request: Request, sessions: Sessions, *, next_url: str, error: str = "", status: int = 200
) -> HTMLResponse:
    nonce = secrets.token_urlsafe(16)
    response = page(
        request,
        "login.html",
        session=None,
        status=status,
        title="Log in",
        nav="",
        next_url=safe_next(request, next_url),
        login_csrf=sessions.login_csrf(nonce),
        error=error,
    )
    set_cookie(response, request, LOGIN_COOKIE, nonce, LOGIN_FORM_SECONDS)
    return response


@router.get("/", response_model=None)
def home(request: Request, sessions: SessionsDep) -> Response:
    if current_session(request, sessions) is None:
        return RedirectResponse(f"{base_path(request)}/login", status_code=303)
    return RedirectResponse(f"{base_path(request)}/errors", status_code=303)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, sessions: SessionsDep, next: str = "") -> HTMLResponse:
    return _login_page(request, sessions, next_url=next)


@router.post("/login", response_model=None)
async def login(request: Request, sessions: SessionsDep, services: ServicesDep) -> Response:
    form = await read_form(request)
    if not sessions.check_login_csrf(request.cookies.get(LOGIN_COOKIE), form.get("csrf")):
        raise Forbidden("the login form expired or came from elsewhere; reload it and try again")
    source = client_address(request)
    wait = services.attempts.retry_after(source)
    if wait is not None:
        error = "Too many wrong keys from this address: try again in a minute."
        refused = _login_page(request, sessions, next_url=form.get("next", ""), error=error, status=429)
        refused.headers.update(retry_after(wait))
        return refused
    token = sessions.issue(form.get("key", "").strip())
    if token is None:
        services.attempts.failed(source)
        return _login_page(
            request, sessions, next_url=form.get("next", ""), error="That API key is not valid.", status=401
        )
    response = RedirectResponse(safe_next(request, form.get("next")), status_code=303)
    set_cookie(response, request, COOKIE, token, sessions.lifetime)
    clear_cookie(response, request, LOGIN_COOKIE)
    return response


@router.post("/logout")
def logout(request: Request, action: Submitted, services: ServicesDep) -> RedirectResponse:
    """Any session may log out; the CSRF token still guards the form. The session ends on the server too:
    its cookie, kept or copied, no longer opens a page on any replica."""
    services.revoked.revoke(action.session.nonce, action.session.expires)
    response = RedirectResponse(f"{base_path(request)}/login", status_code=303)
    clear_cookie(response, request, COOKIE)
    return response

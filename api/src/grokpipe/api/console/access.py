"""Who is looking: the session cookie as a viewer (any role), or an actor (admin, CSRF token checked)."""

from __future__ import annotations

import urllib.parse
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from starlette.responses import Response

from grokpipe.api.console.session import Session, Sessions
from grokpipe.api.errors import ApiError
from grokpipe.api.services import Services

COOKIE = "grokpipe_console"
LOGIN_COOKIE = "grokpipe_console_login"
MAX_FORM = 64 * 1024


class LoginRequired(Exception):
    """No valid session: the handler redirects to the login page, then back to ``next``."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class Forbidden(Exception):
    """A read-only session tried to act, or a form came without a valid CSRF token (403)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadForm(ApiError):
    """A form field is missing or malformed (400)."""

    status = 400
    code = "bad_form"


def get_services(request: Request) -> Services:
    services: Services = request.app.state.parent.state.services
    return services


def get_sessions(request: Request) -> Sessions:
    sessions: Sessions = request.app.state.sessions
    return sessions


ServicesDep = Annotated[Services, Depends(get_services)]
SessionsDep = Annotated[Sessions, Depends(get_sessions)]


def base_path(request: Request) -> str:
    """Where the console is mounted (``/ui``, behind any proxy root path)."""
    return str(request.scope.get("root_path", "")).rstrip("/")


def current_session(request: Request, sessions: Sessions) -> Session | None:
    """The request's session: signed, not expired, its key still configured, not ended by a logout."""
    session = sessions.verify(request.cookies.get(COOKIE))
    if session is None or get_services(request).revoked.is_revoked(session.nonce):
        return None
    return session


def _viewer(request: Request, sessions: SessionsDep) -> Session:
    session = current_session(request, sessions)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return session


Viewer = Annotated[Session, Depends(_viewer)]


async def read_form(request: Request) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` body as a dict (last value wins)."""
    if not request.headers.get("content-type", "").startswith("application/x-www-form-urlencoded"):
        return {}
    body = await request.body()
    if len(body) > MAX_FORM:
        return {}
    return dict(urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))


@dataclass(frozen=True)
class Action:
    session: Session
    form: dict[str, str]


async def _submitted(request: Request, session: Viewer, sessions: SessionsDep) -> Action:
    form = await read_form(request)
    if not sessions.check_csrf(session, form.get("csrf")):
        raise Forbidden("missing or invalid CSRF token; reload the page and try again")
    return Action(session, form)


Submitted = Annotated[Action, Depends(_submitted)]


def _actor(action: Submitted) -> Action:
    if not action.session.admin:
        raise Forbidden("this session's key is read-only")
    return action


Actor = Annotated[Action, Depends(_actor)]


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    """HttpOnly, SameSite=Strict, scoped to the console, Secure when the request came over HTTPS."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=base_path(request) or "/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def clear_cookie(response: Response, request: Request, name: str) -> None:
    response.delete_cookie(
        name, path=base_path(request) or "/", httponly=True, samesite="strict", secure=request.url.scheme == "https"
    )


def safe_next(request: Request, target: str | None) -> str:
    """A redirect target inside the console only (no open redirects)."""
    base = base_path(request)
    if target and target.startswith(f"{base}/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{base}/errors"

"""``/demo``: a tiny metered API for the example check of ``make run`` (mounted with ``dev_sink: true``).

``POST /demo/login`` returns a session id for the demo password; ``GET /demo/usage?biz=<service>``
(cookie ``sid``) returns today's call count; ``POST /demo/<service>`` is a call, metered once.
In memory, for demos only.
"""

from __future__ import annotations

import secrets
import threading
from collections import Counter
from typing import Any

from fastapi import APIRouter, Body, Cookie, HTTPException

from grokpipe.api.kernel.openapi import DeclaredRoute, ErrorBody

router = APIRouter(prefix="/demo", tags=["dev demo"], route_class=DeclaredRoute)
PASSWORD = "demo-password"  # noqa: S105 - the demo's documented password
SERVICES = ("iat", "tts")
_sessions: set[str] = set()
_usage: Counter[str] = Counter()
_lock = threading.Lock()


def _session(sid: str | None) -> None:
    if sid is None or sid not in _sessions:
        raise HTTPException(401, "log in first (POST /demo/login)")


@router.post("/login")
def login(payload: dict[str, Any] = Body(...)) -> dict[str, Any]:  # noqa: B008 - FastAPI idiom
    if payload.get("password") != PASSWORD:
        return {"code": 1, "message": "wrong user or password"}
    sid = secrets.token_hex(8)
    with _lock:
        _sessions.add(sid)
    return {"code": 0, "data": {"ssoSessionId": sid}}


@router.get("/usage", responses={401: {"model": ErrorBody, "description": "not logged in (POST /demo/login)"}})
def usage(biz: str, sid: str | None = Cookie(default=None)) -> dict[str, Any]:
    _session(sid)
    with _lock:
        return {"code": 0, "data": {"biz": biz, "usedCount": _usage[biz]}}


@router.post("/{service}")
def call(service: str) -> dict[str, Any]:
    if service not in SERVICES:
        raise HTTPException(404, f"unknown service {service!r}; try {', '.join(SERVICES)}")
    with _lock:
        _usage[service] += 1
    return {"code": 0, "data": {"service": service, "result": "ok"}}

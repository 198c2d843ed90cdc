"""``/sink/webhook``: a tiny built-in webhook receiver for demos (``dev_sink: true``), so the example
rule has somewhere to deliver without an external service. It keeps the last 100 payloads in memory."""

from __future__ import annotations

import logging
from collections import deque
from typing import Any

from fastapi import APIRouter, Body

from grokpipe.api.kernel.access import ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute

router = APIRouter(prefix="/sink", tags=["dev sink"], route_class=DeclaredRoute)
log = logging.getLogger(__name__)
_received: deque[dict[str, Any]] = deque(maxlen=100)


@router.post("/webhook")
def receive(_: ReadAccess, payload: dict[str, Any] = Body(...)) -> dict[str, bool]:  # noqa: B008 - FastAPI idiom
    _received.append(payload)
    log.info("sink received", extra={"title": payload.get("title"), "rule.id": payload.get("rule", {}).get("id")})
    return {"ok": True}


@router.get("/webhook")
def received(_: ReadAccess) -> list[dict[str, Any]]:
    return list(_received)

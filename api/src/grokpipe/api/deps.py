"""Dependencies as ``Annotated`` aliases: services from the app state, API-key roles."""

from __future__ import annotations

import math
import secrets
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from grokpipe.api.services import Services

Role = Literal["read", "admin"]
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="read-only or admin API key")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


def require_key(request: Request, services: ServicesDep, key: Annotated[str | None, Security(_header)]) -> Role:
    source = client_address(request)
    wait = services.attempts.retry_after(source)
    if wait is not None:
        raise HTTPException(429, "too many wrong keys from this address; retry later", headers=retry_after(wait))
    if key:
        auth = services.settings.auth
        if any(secrets.compare_digest(key.encode(), k.get_secret_value().encode()) for k in auth.admin_keys):
            return "admin"
        if any(secrets.compare_digest(key.encode(), k.get_secret_value().encode()) for k in auth.read_keys):
            return "read"
        services.attempts.failed(source)
    raise HTTPException(401, "missing or invalid X-API-Key", headers={"WWW-Authenticate": "ApiKey"})


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def retry_after(seconds: float) -> dict[str, str]:
    return {"Retry-After": str(max(1, math.ceil(seconds)))}


def require_admin(role: Annotated[Role, Depends(require_key)]) -> Role:
    if role != "admin":
        raise HTTPException(403, "this key is read-only")
    return role


ReadAccess = Annotated[Role, Depends(require_key)]
AdminAccess = Annotated[Role, Depends(require_admin)]

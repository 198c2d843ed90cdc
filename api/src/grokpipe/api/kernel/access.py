"""API-key roles as dependencies: ``ReadAccess`` for any configured key, ``AdminAccess`` for an admin key.

Wrong keys count against the client's address (:mod:`grokpipe.api.attempts`); after too many, every key
from it gets 429 with ``Retry-After`` for a while.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, HTTPException, Request, Security
from fastapi.security import APIKeyHeader

from grokpipe.api.attempts import FailedAttempts
from grokpipe.api.kernel.provide import Provider
from grokpipe.api.kernel.settings import AuthSettings

Role = Literal["read", "admin"]
_header = APIKeyHeader(name="X-API-Key", auto_error=False, description="read-only or admin API key")


@dataclass(frozen=True)
class Keys:
    """The configured keys and the wrong-key count, provided at startup."""

    auth: AuthSettings
    attempts: FailedAttempts


def require_key(
    request: Request, keys: Annotated[Keys, Depends(Provider(Keys))], key: Annotated[str | None, Security(_header)]
) -> Role:
    source = client_address(request)
    wait = keys.attempts.retry_after(source)
    if wait is not None:
        raise HTTPException(429, "too many wrong keys from this address; retry later", headers=retry_after(wait))
    if key:
        auth = keys.auth
        if any(secrets.compare_digest(key.encode(), k.get_secret_value().encode()) for k in auth.admin_keys):
            return "admin"
        if any(secrets.compare_digest(key.encode(), k.get_secret_value().encode()) for k in auth.read_keys):
            return "read"
        keys.attempts.failed(source)
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

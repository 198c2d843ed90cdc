"""Signed console sessions: the cookie names a role and a key fingerprint, never the key itself.

A token is ``v1.<payload>.<signature>`` (URL-safe base64, HMAC-SHA256). The payload holds the role,
a fingerprint of the API key that logged in (HMAC of the key, so not reversible), a random nonce and
an expiry. A token stays valid only while a key with that fingerprint is still configured for that
role, so removing a key from ``auth`` ends its sessions.

The signing secret is derived from the configured admin keys: every replica agrees on it without a
new setting, and rotating the admin keys ends every session. The CSRF token of a session is an HMAC
of its nonce, checked on every state-changing form.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass

from grokpipe.api.kernel.access import Role
from grokpipe.api.kernel.settings import AuthSettings

LIFETIME = 12 * 3600
_CONTEXT = b"grokpipe-console-session-v1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Session:
    role: Role
    nonce: str
    expires: int
    csrf: str

    @property
    def admin(self) -> bool:
        return self.role == "admin"


class Sessions:
    def __init__(self, auth: AuthSettings, *, lifetime: int = LIFETIME) -> None:
        admin = [k.get_secret_value() for k in auth.admin_keys]
        read = [k.get_secret_value() for k in auth.read_keys]
        self._secret = hmac.new(_CONTEXT, b"\0".join(sorted(k.encode() for k in admin)), hashlib.sha256).digest()
        self.lifetime = lifetime
        self._keys: dict[Role, dict[str, str]] = {
            "admin": {self._fingerprint(k): k for k in admin},
            "read": {self._fingerprint(k): k for k in read},
        }

    def _mac(self, purpose: str, data: str) -> str:
        return _b64(hmac.new(self._secret, f"{purpose}:{data}".encode(), hashlib.sha256).digest())

    def _fingerprint(self, key: str) -> str:
        return self._mac("key", key)[:22]

    def role_of(self, key: str) -> Role | None:
        """The role of an API key typed on the login page (constant-time comparisons)."""
        found: Role | None = None
        for role, keys in self._keys.items():
            for candidate in keys.values():  # every key is compared: timing tells nothing
                if secrets.compare_digest(key.encode(), candidate.encode()) and found is None:
                    found = role
        return found

    def issue(self, key: str, *, now: float | None = None) -> str | None:
        """A session token for ``key``, or None if it is no configured key."""
        role = self.role_of(key)
        if role is None:
            return None
        payload = {
            "r": role,
            "f": self._fingerprint(key),
            "n": secrets.token_urlsafe(16),
            "e": int((now if now is not None else time.time()) + self.lifetime),
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode())
        return f"v1.{body}.{self._mac('session', body)}"

    def verify(self, token: str | None, *, now: float | None = None) -> Session | None:
        """The session a cookie value stands for; None if forged, expired or its key was removed."""
        if not token:
            return None
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != "v1":
            return None
        body, signature = parts[1], parts[2]
        if not secrets.compare_digest(signature.encode(), self._mac("session", body).encode()):
            return None
        try:
            payload = json.loads(_unb64(body))
            role, fingerprint, nonce, expires = payload["r"], payload["f"], payload["n"], int(payload["e"])
        except (ValueError, KeyError, TypeError):
            return None
        if role not in self._keys or fingerprint not in self._keys[role]:
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        return Session(role=role, nonce=str(nonce), expires=expires, csrf=self._mac("csrf", str(nonce)))

    def check_csrf(self, session: Session, token: str | None) -> bool:
        return bool(token) and secrets.compare_digest(str(token).encode(), session.csrf.encode())

    # The login form has no session yet: its token is bound to a random cookie set with the form.
    def login_csrf(self, nonce: str) -> str:
        return self._mac("login", nonce)

    def check_login_csrf(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return secrets.compare_digest(token.encode(), self.login_csrf(nonce).encode())

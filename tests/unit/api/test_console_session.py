"""Console session tokens: roles, tampering, expiry, removed keys, CSRF binding."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from grokpipe.api.console.session import Sessions
from grokpipe.api.kernel.settings import AuthSettings

ADMIN, READ = "admin-key-aaaaaaaa", "read-key-bbbbbbbb"
NOW = 1_800_000_000.0


def sessions(admin: list[str] | None = None, read: list[str] | None = None) -> Sessions:
    auth = AuthSettings(
        admin_keys=[SecretStr(k) for k in (admin or [ADMIN])], read_keys=[SecretStr(k) for k in (read or [READ])]
    )
    return Sessions(auth, lifetime=3600)


@pytest.mark.parametrize(("key", "role"), [(ADMIN, "admin"), (READ, "read"), ("nope", None), ("", None)])
def test_a_key_maps_to_its_role(key: str, role: str | None) -> None:
    s = sessions()
    assert s.role_of(key) == role
    token = s.issue(key, now=NOW)
    if role is None:
        assert token is None
        return
    assert token is not None
    session = s.verify(token, now=NOW + 10)
    assert session is not None
    assert session.role == role
    assert key not in token


def test_the_token_holds_no_key_and_tampering_is_refused() -> None:
    s = sessions()
    token = s.issue(READ, now=NOW)
    assert token is not None
    version, body, signature = token.split(".")
    import base64
    import json

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    assert set(payload) == {"r", "f", "n", "e"}
    assert READ not in json.dumps(payload)
    forged = dict(payload, r="admin")
    forged_body = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    for bad in (
        f"{version}.{forged_body}.{signature}",
        f"{version}.{body}.{signature[:-2]}xx",
        f"v2.{body}.{signature}",
        "garbage",
        "",
        None,
    ):
        assert s.verify(bad, now=NOW) is None


def test_expired_sessions_and_sessions_of_removed_keys_end() -> None:
    s = sessions(read=[READ, "other-read-key"])
    token = s.issue(READ, now=NOW)
    assert s.verify(token, now=NOW + 3599) is not None
    assert s.verify(token, now=NOW + 3600) is None
    # The same admin keys (same secret) but READ no longer configured: its session is gone.
    assert sessions(read=["other-read-key"]).verify(token, now=NOW) is None
    # Rotating the admin keys changes the secret: every session ends.
    assert sessions(admin=["new-admin-key"]).verify(token, now=NOW) is None
    # Another replica with the same config accepts it.
    assert sessions(read=[READ, "other-read-key"]).verify(token, now=NOW) is not None


def test_csrf_tokens_are_bound_to_their_session() -> None:
    s = sessions()
    one = s.verify(s.issue(ADMIN, now=NOW), now=NOW)
    two = s.verify(s.issue(ADMIN, now=NOW), now=NOW)
    assert one is not None
    assert two is not None
    assert one.csrf != two.csrf
    assert s.check_csrf(one, one.csrf)
    assert not s.check_csrf(one, two.csrf)
    assert not s.check_csrf(one, "")
    assert not s.check_csrf(one, None)
    assert s.check_login_csrf("nonce-1", s.login_csrf("nonce-1"))
    assert not s.check_login_csrf("nonce-2", s.login_csrf("nonce-1"))
    assert not s.check_login_csrf(None, s.login_csrf("nonce-1"))

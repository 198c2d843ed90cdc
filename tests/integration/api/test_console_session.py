"""The console's login, cookie and error pages over HTTP (no browser): Secure over HTTPS (as behind a
TLS-terminating proxy: uvicorn trusts X-Forwarded-Proto from 127.0.0.1), login CSRF, no open
redirects, HTML errors, and the headers that keep pages same-origin."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from support.api import ADMIN_KEY, READ_KEY, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack


def _client(stack: EmbeddedStack, headers: dict[str, str]) -> Iterator[httpx.Client]:
    app = create_app(api_settings(stack), scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, headers=headers, follow_redirects=False) as client:
        yield client


@pytest.fixture
def https(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    yield from _client(stack, {"X-Forwarded-Proto": "https"})


@pytest.fixture
def http(stack: EmbeddedStack) -> Iterator[httpx.Client]:
    yield from _client(stack, {})


def login_form(client: httpx.Client, next_url: str = "") -> str:
    page = client.get("/ui/login", params={"next": next_url} if next_url else None)
    assert page.status_code == 200
    match = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert match is not None
    return match.group(1)


def with_cookie(client: httpx.Client, path: str, session: str) -> httpx.Response:
    headers = dict(client.headers) | {"Cookie": f"grokpipe_console={session}"}
    return httpx.get(f"{client.base_url}{path}", headers=headers, follow_redirects=False)


def set_cookies(response: httpx.Response) -> list[str]:
    return response.headers.get_list("set-cookie")


def test_over_https_the_session_cookie_is_secure_httponly_strict_and_not_the_key(https: httpx.Client) -> None:
    form = https.get("/ui/login")
    login_cookie = next(c for c in set_cookies(form) if c.startswith("grokpipe_console_login="))
    assert "secure" in login_cookie.lower()
    match = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert match is not None
    # The jar keeps Secure cookies off this plain-http hop to the proxy-less server: send it by hand.
    done = httpx.post(
        f"{https.base_url}/ui/login",
        headers=dict(https.headers) | {"Cookie": login_cookie.split(";")[0]},
        data={"csrf": match.group(1), "key": ADMIN_KEY, "next": "/ui/rules"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/ui/rules"
    session = next(c for c in set_cookies(done) if c.startswith("grokpipe_console="))
    flags = {f.strip().lower() for f in session.split(";")[1:]}
    assert {"httponly", "secure", "samesite=strict", "path=/ui"} <= flags
    assert ADMIN_KEY not in session
    value = session.split(";")[0].split("=", 1)[1]
    assert with_cookie(https, "/ui/rules", value).status_code == 200


def test_over_http_the_cookie_is_not_marked_secure(http: httpx.Client) -> None:
    token = login_form(http)
    done = http.post("/ui/login", data={"csrf": token, "key": READ_KEY})
    session = next(c for c in set_cookies(done) if c.startswith("grokpipe_console="))
    flags = {f.strip().lower() for f in session.split(";")[1:]}
    assert "secure" not in flags
    assert {"httponly", "samesite=strict"} <= flags
    assert done.headers["location"] == "/ui/errors"


def test_login_needs_the_forms_csrf_token_and_a_valid_key(http: httpx.Client) -> None:
    assert http.get("/ui/errors?status=all").headers["location"] == "/ui/login?next=/ui/errors%3Fstatus%3Dall"
    token = login_form(http)
    assert http.post("/ui/login", data={"key": ADMIN_KEY}).status_code == 403
    assert http.post("/ui/login", data={"key": ADMIN_KEY, "csrf": "x" + token}).status_code == 403
    wrong = http.post("/ui/login", data={"key": "not-a-key", "csrf": token})
    assert wrong.status_code == 401
    assert "not valid" in wrong.text
    assert "grokpipe_console=" not in " ".join(c for c in set_cookies(wrong) if not c.startswith("grokpipe_console_"))
    assert http.get("/ui/errors").status_code == 303
    assert with_cookie(http, "/ui/errors", "v1.forged.token").status_code == 303


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example/", "/docs", "/ui\\evil", ""])
def test_login_never_redirects_outside_the_console(http: httpx.Client, target: str) -> None:
    token = login_form(http)
    done = http.post("/ui/login", data={"csrf": token, "key": READ_KEY, "next": target})
    assert done.headers["location"] == "/ui/errors"


def test_pages_are_html_with_a_same_origin_policy(http: httpx.Client) -> None:
    token = login_form(http)
    http.post("/ui/login", data={"csrf": token, "key": READ_KEY})
    page = http.get("/ui/errors")
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "form-action 'self'" in csp
    assert page.headers["cache-control"] == "no-store"
    missing = http.get("/ui/errors/no-such-group")
    assert missing.status_code == 404
    assert "not found" in missing.text
    assert missing.headers["content-type"].startswith("text/html")
    bad = http.get("/ui/errors?sort=nonsense")
    assert bad.status_code == 400
    assert "sort" in bad.text
    css = http.get("/ui/static/console.css")
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert http.get("/ui/").headers["location"] == "/ui/errors"


def _logged_in(client: httpx.Client, key: str) -> str:
    token = login_form(client)
    done = client.post("/ui/login", data={"csrf": token, "key": key})
    assert done.status_code == 303
    return str(client.cookies["grokpipe_console"])


def test_logout_ends_the_session_on_every_replica(stack: EmbeddedStack) -> None:
    settings = api_settings(stack)
    with (
        serve(create_app(settings, scheduler=False)) as one,
        serve(create_app(settings, scheduler=False)) as two,
        httpx.Client(base_url=one, follow_redirects=False) as client,
    ):
        session = _logged_in(client, ADMIN_KEY)
        copied = {"Cookie": f"grokpipe_console={session}"}
        assert httpx.get(f"{two}/ui/errors", headers=copied).status_code == 200  # the other replica takes it
        page = client.get("/ui/errors")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
        assert csrf is not None
        assert client.post("/ui/logout", data={"csrf": csrf.group(1)}).status_code == 303
        for base in (one, two):  # the copied cookie opens nothing any more, here or on the other replica
            after = httpx.get(f"{base}/ui/errors", headers=copied, follow_redirects=False)
            assert after.status_code == 303
            assert after.headers["location"].startswith("/ui/login")
        assert _logged_in(client, ADMIN_KEY) != session  # a new login is a new session


def test_wrong_keys_on_the_login_form_are_limited_per_address(stack: EmbeddedStack) -> None:
    settings = api_settings(stack, auth={"admin_keys": [ADMIN_KEY], "read_keys": [READ_KEY], "failed_attempts": 3})
    with (
        serve(create_app(settings, scheduler=False)) as url,
        httpx.Client(base_url=url, follow_redirects=False) as http,
    ):
        for _ in range(3):
            wrong = http.post("/ui/login", data={"csrf": login_form(http), "key": "guess"})
            assert wrong.status_code == 401
        refused = http.post("/ui/login", data={"csrf": login_form(http), "key": ADMIN_KEY})
        assert refused.status_code == 429  # the right key too: its answer would end the guessing
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many wrong keys" in refused.text
        assert http.get("/rules", headers={"X-API-Key": ADMIN_KEY}).status_code == 429  # one count per address

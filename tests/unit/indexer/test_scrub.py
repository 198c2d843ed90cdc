"""Credential scrubbing: real nginx, PHP, Python and syslog lines in, masked text out."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from grokpipe.indexer.config import ScrubSettings
from grokpipe.indexer.documents import build
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import MASK, TAG, Scrubber

F = MASK

DEFAULT = Scrubber(ScrubSettings())


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # nginx access (combined): query string and referrer
        (
            '203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /api/v1/items?api_key=abc123def456&page=2 HTTP/1.1" '
            '200 512 "https://shop.example.com/cart?session=9f8e7d" "curl/8.5.0"',
            '203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /api/v1/items?api_key=[Filtered]&page=2 HTTP/1.1" '
            f'200 512 "https://shop.example.com/cart?session={F}" "curl/8.5.0"',
        ),
        (
            '198.51.100.4 - - [22/Nov/2026:10:00:01 +0000] "GET /oauth/callback?code=ok&state=x&access_token=ya29.a0'
            '&token_type=Bearer HTTP/2.0" 302 0 "-" "Mozilla/5.0"',
            '198.51.100.4 - - [22/Nov/2026:10:00:01 +0000] "GET /oauth/callback?code=ok&state=x&access_token='
            f'{F}&token_type={F} HTTP/2.0" 302 0 "-" "Mozilla/5.0"',
        ),
        # S3 presigned URL: every X-Amz-* credential part, the expiry kept
        (
            "GET /b/k?X-Amz-Credential=AKIA%2F20261122&X-Amz-Signature=ab12cd&X-Amz-Expires=60&sig=zz&auth=qq",
            f"GET /b/k?X-Amz-Credential={F}&X-Amz-Signature={F}&X-Amz-Expires=60&sig={F}&auth={F}",
        ),
        (
            "?password=hunter2&passwd=a&pwd=b&secret=c&client_secret=d&private_key=e&apikey=f&sessionid=g&PHPSESSID=h",
            f"?password={F}&passwd={F}&pwd={F}&secret={F}&client_secret={F}&private_key={F}&apikey={F}"
            f"&sessionid={F}&PHPSESSID={F}",
        ),
        # nginx error: request and referrer inside the error line
        (
            '2026/11/22 10:00:00 [error] 1234#1234: *5 open() "/usr/share/nginx/html/reset" failed (2: No such '
            'file or directory), client: 203.0.113.9, server: example.com, request: "GET /reset?token=9f8e7d6c&'
            'email=a%40b.c HTTP/1.1", host: "example.com", referrer: "https://example.com/login?next=/a?password=x"',
            '2026/11/22 10:00:00 [error] 1234#1234: *5 open() "/usr/share/nginx/html/reset" failed (2: No such '
            f'file or directory), client: 203.0.113.9, server: example.com, request: "GET /reset?token={F}&'
            f'email=a%40b.c HTTP/1.1", host: "example.com", referrer: "https://example.com/login?next=/a?password={F}"',
        ),
        # PHP: a URL in a warning, a DSN, print_r and var_export dumps
        (
            "PHP Warning:  file_get_contents(https://api.example.com/v1?api_key=sk_live_123&page=2): Failed to "
            "open stream: HTTP request failed! HTTP/1.1 401 Unauthorized in /var/www/app/Client.php on line 42",
            f"PHP Warning:  file_get_contents(https://api.example.com/v1?api_key={F}&page=2): Failed to "
            "open stream: HTTP request failed! HTTP/1.1 401 Unauthorized in /var/www/app/Client.php on line 42",
        ),
        (
            "PHP Fatal error:  Uncaught PDOException: could not connect to mysql:host=db;dbname=app;password=hunter2",
            f"PHP Fatal error:  Uncaught PDOException: could not connect to mysql:host=db;dbname=app;password={F}",
        ),
        ("Array ( [user] => bob [password] => hunter2 )", f"Array ( [user] => bob [password] => {F} )"),
        ("array ( 'user' => 'bob', 'api_key' => 'k-1' )", f"array ( 'user' => 'bob', 'api_key' => '{F}' )"),
        # Python: requests' header dict, a JSON body, a database URL, logfmt
        (
            "DEBUG urllib3: headers={'Authorization': 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig', 'User-Agent': "
            "'python-requests/2.32.3'}",
            f"DEBUG urllib3: headers={{'Authorization': 'Bearer {F}', 'User-Agent': 'python-requests/2.32.3'}}",
        ),
        (
            '{"level": "info", "user": "bob", "password": "hun\\"ter2", "auth": {"client_secret": "x"}}',
            f'{{"level": "info", "user": "bob", "password": "{F}", "auth": {{"client_secret": "{F}"}}}}',
        ),
        (
            "sqlalchemy.exc.OperationalError: connection to postgresql://app:s3cr%40t@db:5432/app failed",
            f"sqlalchemy.exc.OperationalError: connection to postgresql://app:{F}@db:5432/app failed",
        ),
        ('level=info msg="login" password="a b c" user=bob', f'level=info msg="login" password="{F}" user=bob'),
        # HTTP headers as they appear in debug logs
        ("Authorization: Basic dXNlcjpwYXNz", f"Authorization: Basic {F}"),
        ("Proxy-Authorization: Negotiate YIIGhgYJ", f"Proxy-Authorization: Negotiate {F}"),
        ("authorization: s3cr3t-token-value", f"authorization: {F}"),
        ("Cookie: sid=abc; theme=dark", f"Cookie: sid={F}; theme={F}"),
        ("Set-Cookie: sid=abc; Path=/; HttpOnly", f"Set-Cookie: sid={F}; Path=/; HttpOnly"),
        ("X-Api-Key: abc123 X-Request-Id: 42", f"X-Api-Key: {F} X-Request-Id: 42"),
        ("retrying with Bearer eyJhbGciOiJIUzI1NiJ9.e30", f"retrying with Bearer {F}"),
    ],
)
def test_credentials_are_masked_and_key_names_kept(line: str, expected: str) -> None:
    assert DEFAULT.text(line) == expected
    assert DEFAULT.text(expected) == expected  # idempotent: a second pass changes nothing


@pytest.mark.parametrize(
    "line",
    [
        '203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /search.php?q=red%20shoes&page=2 HTTP/1.1" 200 5 "-" "x"',
        # PHP says whether a password was used, not which
        "PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [1045] Access denied for user 'app'@'10.0.0.5' "
        "(using password: YES) in /var/www/app/db.php:12",
        # sudo's PWD= is the working directory
        "sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/passwd bob",
        "sshd[812]: Failed password for invalid user admin from 203.0.113.7 port 52113 ssh2",
        "pam_unix(sshd:session): session opened for user alice(uid=1000) by (uid=0)",
        "Traceback (most recent call last):\n  File \"/app/auth.py\", line 12, in login\nKeyError: 'token'",
        "mailto:bob@example.com and https://example.com/author=bob",
        "the bearer of bad news",
        "",
    ],
)
def test_lines_without_credentials_are_left_alone(line: str) -> None:
    assert DEFAULT.text(line) is line


def test_event_fields_are_scrubbed_by_content_and_by_name() -> None:
    event: dict[str, Any] = {
        "@timestamp": "2026-11-22T10:00:00.000Z",
        "message": "GET /x?token=abc HTTP/1.1",
        "event": {"id": "e1", "dataset": "app", "original": "<13>1 - h app - - - GET /x?token=abc"},
        "url": {"original": "/x?token=abc", "query": "token=abc&page=2", "path": "/x", "password": "pw"},
        "http": {"request": {"headers": {"authorization": "Basic dXNlcjpwYXNz", "cookie": ["a=1", "b=2"]}}},
        "user": {"password": "hunter2", "name": "bob"},
        "sudo": {"pwd": "/home/alice"},
        "tags": ["multiline"],
    }
    DEFAULT(event)
    assert event["message"] == f"GET /x?token={F} HTTP/1.1"
    assert event["event"] == {"id": "e1", "dataset": "app", "original": f"<13>1 - h app - - - GET /x?token={F}"}
    assert event["url"] == {"original": f"/x?token={F}", "query": f"token={F}&page=2", "path": "/x", "password": F}
    assert event["http"]["request"]["headers"] == {"authorization": F, "cookie": [F, F]}
    assert event["user"] == {"password": F, "name": "bob"}
    assert event["sudo"] == {"pwd": "/home/alice"}
    assert event["tags"] == ["multiline", TAG]


def test_an_event_without_credentials_is_not_tagged() -> None:
    event: dict[str, Any] = {"message": "GET / HTTP/1.1", "url": {"original": "/"}, "user": {"name": "bob"}}
    assert DEFAULT(event) == {"message": "GET / HTTP/1.1", "url": {"original": "/"}, "user": {"name": "bob"}}


@pytest.mark.parametrize(
    ("settings", "line", "expected"),
    [
        ({"keys": ["X-Internal"]}, "x_internal=v&other=1", f"x_internal={F}&other=1"),
        ({"keys": ["key"]}, '{"key": "AIzaSyA"}', f'{{"key": "{F}"}}'),
        ({"patterns": [r"\b(\d{4}-\d{4}-\d{4}-\d{4})\b"]}, "card 4111-1111-1111-1111 ok", f"card {F} ok"),
        ({"patterns": [r"sk_live_\w+"]}, "charged with sk_live_abc123", f"charged with {F}"),
    ],
)
def test_users_add_key_names_and_regexes(settings: dict[str, Any], line: str, expected: str) -> None:
    assert Scrubber(ScrubSettings(**settings)).text(line) == expected


def _record(dataset: str, message: str) -> bytes:
    return orjson.dumps({"message": message, "event": {"id": "x1", "dataset": dataset}, "host": {"name": "web1"}})


def test_build_scrubs_what_the_pipeline_parsed(router: Router) -> None:
    line = (
        '203.0.113.9 - - [22/Nov/2026:10:00:00 +0000] "GET /login?user=bob&password=hunter2 HTTP/1.1" 200 5 '
        '"https://example.com/?token=abc" "curl/8.5.0"'
    )
    doc = build(_record("nginx.access", line), "t", 0, 0, router=router, namespace="d", scrubber=DEFAULT)
    text = orjson.dumps(doc.source).decode()
    assert "hunter2" not in text
    assert "abc" not in text
    assert doc.source["url"]["original"] == f"/login?user=bob&password={F}"
    assert doc.source["http"]["request"]["referrer"] == f"https://example.com/?token={F}"
    assert doc.source["http"]["response"]["status_code"] == 200  # parsed before masking
    assert TAG in doc.source["tags"]
    # the record is kept for the dead-letter index: masked the same way
    assert b"hunter2" not in doc.raw
    assert orjson.loads(doc.raw)["message"] == line.replace("hunter2", F).replace("=abc", f"={F}")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b'{"message": "x", "user": {"password": "pw"}}', {"message": "x", "user": {"password": F}, "tags": [TAG]}),
        (b"not json: password=pw", b"not json: password=[Filtered]"),
        (b'["password=pw"]', b'["password=[Filtered]"]'),  # not an event: indexed as its text
    ],
)
def test_the_record_kept_for_the_dead_letter_index_is_masked_too(raw: bytes, expected: Any) -> None:
    masked = DEFAULT.record(raw)
    assert (orjson.loads(masked) if isinstance(expected, dict) else masked) == expected


@pytest.mark.parametrize(
    ("settings", "dataset", "scrubbed"),
    [
        ({}, "nginx.access", True),
        ({"enabled": False}, "nginx.access", False),
        ({"disable_datasets": ["nginx.access"]}, "nginx.access", False),
        ({"disable_datasets": ["nginx.*"]}, "nginx.error", False),
        ({"disable_datasets": ["nginx.*"]}, "php.error", True),
    ],
)
def test_scrubbing_can_be_turned_off_per_dataset(
    router: Router, settings: dict[str, Any], dataset: str, scrubbed: bool
) -> None:
    scrubber = Scrubber(ScrubSettings(**settings))
    doc = build(_record(dataset, "GET /?token=abc"), "t", 0, 0, router=router, namespace="d", scrubber=scrubber)
    assert ("abc" not in doc.source["message"]) is scrubbed
    assert (TAG in doc.source.get("tags", [])) is scrubbed

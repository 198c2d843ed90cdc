from __future__ import annotations

import pytest

from grokpipe.shipper.sentry.auth import Projects, auth_fields, dsn_key, request_key
from grokpipe.shipper.sentry.config import SentryProject
from grokpipe.shipper.sentry.errors import Forbidden

KEY = "e12d836b15bb49d7bbf99e64295d995b"


@pytest.mark.parametrize(
    ("headers", "query", "dsn", "expected"),
    [
        (
            {"x-sentry-auth": f"Sentry sentry_key={KEY}, sentry_version=7, sentry_client=raven-python/6.10.0"},
            {},
            None,
            KEY,
        ),
        ({"x-sentry-auth": f"Sentry sentry_version=5,sentry_key={KEY},sentry_secret=s3cr3t"}, {}, None, KEY),
        ({"authorization": f"Sentry sentry_key={KEY}, sentry_version=7"}, {}, None, KEY),
        ({"authorization": "Bearer abc"}, {"sentry_key": [KEY]}, None, KEY),
        ({}, {"sentry_key": [KEY], "sentry_version": ["7"]}, None, KEY),
        ({}, {}, f"https://{KEY}@o1.ingest.example/42", KEY),
        ({}, {}, f"http://{KEY}:secret@host:9000/1", KEY),
        ({}, {}, None, None),
        ({}, {}, "not a dsn", None),
        ({"x-sentry-auth": "Sentry sentry_version=7"}, {}, None, None),
    ],
)
def test_request_key(
    headers: dict[str, str], query: dict[str, list[str]], dsn: str | None, expected: str | None
) -> None:
    assert request_key(headers, query, dsn) == expected


def test_auth_fields() -> None:
    assert auth_fields('Sentry sentry_key="k", sentry_version=7') == {"sentry_key": "k", "sentry_version": "7"}
    assert dsn_key("http://@host/1") is None


def test_authorize() -> None:
    projects = Projects(
        [SentryProject(id=1, name="shop", keys=[KEY]), SentryProject(id=2, name="blog", keys=["a" * 32])]
    )
    assert projects.authorize("1", KEY).name == "shop"
    for project, key in (("2", KEY), ("3", KEY), ("x", KEY), ("1", None), ("1", "b" * 32)):
        with pytest.raises(Forbidden):
            projects.authorize(project, key)

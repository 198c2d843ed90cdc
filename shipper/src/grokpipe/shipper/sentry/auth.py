"""Which project a request is for, and whether its key is one of that project's (pure).

An SDK sends its DSN's public key in one of four places (develop.sentry.dev, "Authentication"):
the ``X-Sentry-Auth`` header (``Sentry sentry_key=<key>, sentry_version=7, sentry_client=...``), the
``Authorization`` header in the same form, the ``sentry_key`` query parameter (browsers, @sentry/node
with query-string auth), or the envelope header's ``dsn``. The first one present is used. A
``sentry_secret`` (old DSNs) is read past and never kept.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from grokpipe.shipper.sentry.config import SentryProject
from grokpipe.shipper.sentry.errors import Forbidden


def auth_fields(header: str) -> dict[str, str]:
    """``Sentry sentry_key=abc, sentry_version=7`` -> ``{"sentry_key": "abc", "sentry_version": "7"}``."""
    text = header.strip()
    if text[:7].lower() == "sentry ":
        text = text[7:]
    fields: dict[str, str] = {}
    for part in text.split(","):
        name, sep, value = part.strip().partition("=")
        if sep:
            fields[name.strip().lower()] = value.strip().strip('"')
    return fields


def dsn_key(dsn: str) -> str | None:
    """The public key of a DSN (``http://<key>[:<secret>]@host/1``)."""
    try:
        username = urlsplit(dsn).username
    except ValueError:
        return None
    return username or None


def request_key(headers: Mapping[str, str], query: Mapping[str, Sequence[str]], dsn: str | None = None) -> str | None:
    """The key a request authenticates with; ``headers`` names are lowercase."""
    for name in ("x-sentry-auth", "authorization"):
        value = headers.get(name)
        if value and value.strip()[:7].lower() == "sentry ":
            key = auth_fields(value).get("sentry_key")
            if key:
                return key
    values = query.get("sentry_key")
    if values and values[0]:
        return values[0]
    return dsn_key(dsn) if dsn else None


class Projects:
    """The configured projects by id; ``authorize`` refuses unknown projects and wrong keys alike
    (one 403, so the answer does not tell which projects exist)."""

    def __init__(self, projects: Sequence[SentryProject]) -> None:
        self._by_id = {p.id: p for p in projects}

    def authorize(self, project_id: str, key: str | None) -> SentryProject:
        project = self._by_id.get(int(project_id)) if project_id.isdigit() else None
        if key is None:
            raise Forbidden("missing authentication: no sentry_key in X-Sentry-Auth, query or envelope dsn")
        if project is None or not any(hmac.compare_digest(key.encode(), k.encode()) for k in project.keys):
            raise Forbidden("invalid sentry_key for this project")
        return project

"""What the Sentry input answers: routing, authentication, decoding, limits, then the spool.

==================================================  ===========  =====================================
request                                             answer       when
==================================================  ===========  =====================================
``POST /api/<project>/envelope/``                   200 ``{id}`` the envelope's records are spooled
``POST /api/<project>/store/`` (legacy, raven)      200 ``{id}`` the event is spooled
``GET|POST /api/<project>/cron/<slug>/<key>/``      202 ``{id}`` the check-in is spooled
a body that does not parse, an unknown encoding     400          ``{"detail": ...}``
no key, a wrong key, an unknown project             403
over a size limit (``limits``)                      413
the spool is full, the project's rate exceeded      429          ``Retry-After``, ``X-Sentry-Rate-Limits``
the spool's disk refused the write                  503          ``Retry-After``
==================================================  ===========  =====================================

"Spooled" has the syslog input's meaning (``grokpipe.shipper.spool``): written to the kernel, and
fsynced before the answer under ``fsync: always``. Every refusal is counted by reason in ``/metrics``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any, Protocol

import orjson

from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.sentry import encoding, envelope
from grokpipe.shipper.sentry.auth import Projects, request_key
from grokpipe.shipper.sentry.config import SentryInputSettings, SentryProject
from grokpipe.shipper.sentry.errors import Malformed, SentryRequestError, Throttled, Unavailable
from grokpipe.shipper.sentry.items import Accepted, Pair, Records
from grokpipe.shipper.sentry.ratelimit import TokenBuckets, rate_limits_header
from grokpipe.shipper.sentry.server import Request, Response
from grokpipe.shipper.spool import SpoolWriteError

log = logging.getLogger(__name__)

_INGEST = re.compile(r"^/api/(?P<project>[^/]+)/(?P<kind>envelope|store)/?$")
_CRON = re.compile(r"^/api/(?P<project>[^/]+)/cron/(?P<slug>[^/]+)/(?P<key>[^/]+)/?$")


class SpoolWriter(Protocol):
    def put_many(self, records: list[Pair], timeout: float | None = None) -> bool: ...


class SentryEndpoint:
    def __init__(
        self,
        settings: SentryInputSettings,
        spool: SpoolWriter,
        metrics: ShipperMetrics,
        *,
        host: str,
        encode: Callable[[bytes, dict[str, Any]], bytes] | None = None,
    ) -> None:
        self._settings = settings
        self._spool = spool
        self._metrics = metrics
        self._name = settings.name
        self._projects = Projects(settings.projects)
        self._records = Records(host=host, tags=settings.tags, event_bytes=settings.limits.event_bytes, encode=encode)
        self._buckets = None if settings.rate_limit is None else TokenBuckets(settings.rate_limit)

    def __call__(self, request: Request) -> Response:
        self._metrics.sentry_bytes.labels(self._name).inc(len(request.body))
        endpoint = "other"
        try:
            if match := _INGEST.match(request.path):
                endpoint = match["kind"]
                if request.method != "POST":
                    return self._answer(endpoint, Response(405, {"detail": "use POST"}, {"Allow": "POST"}))
                accepted = self._ingest(request, match["project"], endpoint)
                status = 200
            elif match := _CRON.match(request.path):
                endpoint = "cron"
                project = self._projects.authorize(match["project"], match["key"])
                accepted = self._cron(request, project, match["slug"])
                status = 202
            else:
                return self._answer(endpoint, Response(404, {"detail": "not a Sentry ingestion path"}))
        except SentryRequestError as exc:
            return self._answer(endpoint, self._refuse(exc, request))
        for item_type, count in accepted.items.items():
            self._metrics.sentry_items.labels(self._name, item_type).inc(count)
        self._metrics.events.labels(self._name).inc(len(accepted.records))
        body = {"id": accepted.event_id} if accepted.event_id else {}
        return self._answer(endpoint, Response(status, body))

    def _answer(self, endpoint: str, response: Response) -> Response:
        self._metrics.sentry_requests.labels(self._name, endpoint, str(response.status)).inc()
        return response

    def _ingest(self, request: Request, project_id: str, kind: str) -> Accepted:
        key = request_key(request.headers, request.query)
        project = self._projects.authorize(project_id, key) if key is not None else None
        limits = self._settings.limits
        body = encoding.decode(request.body, request.headers.get("content-encoding"), limits.decompressed_bytes)
        if kind == "store":
            if project is None:
                project = self._projects.authorize(project_id, None)
            accepted = self._records.store(project, encoding.legacy_store_body(body, limits.decompressed_bytes))
        else:
            parsed = envelope.parse(body, max_items=limits.items)
            if project is None:
                dsn = parsed.headers.get("dsn")
                project = self._projects.authorize(
                    project_id, request_key({}, {}, dsn if isinstance(dsn, str) else None)
                )
            accepted = self._records.envelope(project, parsed)
        self._spool_records(project, accepted)
        return accepted

    def _cron(self, request: Request, project: SentryProject, slug: str) -> Accepted:
        params = {name: values[0] for name, values in request.query.items() if values}
        body: Any = None
        if request.body:
            raw = encoding.decode(
                request.body, request.headers.get("content-encoding"), self._settings.limits.event_bytes
            )
            try:
                body = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                raise Malformed(f"check-in body is not JSON: {exc}") from None
        accepted = self._records.cron(project, slug, params, body)
        self._spool_records(project, accepted)
        return accepted

    def _spool_records(self, project: SentryProject, accepted: Accepted) -> None:
        if not accepted.records:
            return
        if self._buckets is not None:
            wait = self._buckets.take(project.id, len(accepted.records))
            if wait:
                raise Throttled("project rate limit exceeded", retry_after=wait, reason="project_rate_limit")
        try:
            spooled = self._spool.put_many(accepted.records, timeout=0)
        except SpoolWriteError as exc:
            raise Unavailable(f"spool write failed: {exc}", retry_after=self._settings.retry_after) from None
        if not spooled:
            raise Throttled("spool full", retry_after=self._settings.retry_after, reason="spool_full")

    def _refuse(self, exc: SentryRequestError, request: Request) -> Response:
        """The one place a refusal becomes an answer, a metric and (for the ones an operator acts on) a log line."""
        self._metrics.sentry_refused.labels(self._name, exc.reason).inc()
        headers: dict[str, str] = {"X-Sentry-Error": str(exc)}
        if isinstance(exc, Throttled):
            headers["Retry-After"] = str(exc.retry_after)
            scope = "project" if exc.reason == "project_rate_limit" else "key"
            headers["X-Sentry-Rate-Limits"] = rate_limits_header(exc.retry_after, scope=scope, reason=exc.reason)
        elif isinstance(exc, Unavailable):
            headers["Retry-After"] = str(exc.retry_after)
            log.error("sentry input: spool write failed", extra={"input": self._name, "error.message": str(exc)})
        elif exc.status == 403:
            log.warning(
                "sentry input: request refused",
                extra={"input": self._name, "url.path": request.path, "source.ip": request.peer, "reason": str(exc)},
            )
        return Response(exc.status, {"detail": str(exc)}, headers)

"""``create_app``: the FastAPI app; clients and scheduler are built in the lifespan, not at import."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from grokpipe.api.checks import report_routes
from grokpipe.api.checks import routes as check_routes
from grokpipe.api.checks.service import check_seeds
from grokpipe.api.config import ApiSettings
from grokpipe.api.console.app import console_app
from grokpipe.api.digests import routes as digest_routes
from grokpipe.api.digests.schemas import DigestCreate
from grokpipe.api.errors import ApiError, InvalidRule
from grokpipe.api.groups import routes as group_routes
from grokpipe.api.kernel.access import Keys
from grokpipe.api.kernel.clock import Clock, utc_now
from grokpipe.api.kernel.provide import provide
from grokpipe.api.kernel.seeds import Seed, parse_seeds, plant
from grokpipe.api.monitors import routes as monitor_routes
from grokpipe.api.patterns import routes as pattern_routes
from grokpipe.api.routes import alerts, docs, health, notifiers, sink
from grokpipe.api.routes import demo as demo_routes
from grokpipe.api.rules import hints
from grokpipe.api.rules import routes as rule_routes
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.search import routes as search_routes
from grokpipe.api.services import Services

log = logging.getLogger(__name__)


def _error(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> JSONResponse:
    return JSONResponse({"error": {"code": code, "message": message, "details": details or {}}}, status_code=status)


def rule_seeds(settings: ApiSettings) -> list[Seed[RuleCreate]]:
    return parse_seeds("rules_seed", settings.rules_seed, RuleCreate)


def digest_seeds(settings: ApiSettings) -> list[Seed[DigestCreate]]:
    return parse_seeds("digests_seed", settings.digests_seed, DigestCreate)


def validate_seeds(settings: ApiSettings) -> None:
    """Every seed of api.yml (rules, digests, checks, reports), before anything starts; ConfigError naming the key."""
    rule_seeds(settings)
    digest_seeds(settings)
    check_seeds(settings.checks, settings.notifiers)


def seed_rules(services: Services) -> None:
    """Create the ``rules_seed`` rules of api.yml that do not exist yet (by their ``id``)."""

    def create(body: RuleCreate, rule_id: str) -> None:
        try:
            services.runner.compile(body)
        except InvalidRule as exc:
            if "fields" not in exc.details:
                raise
            # Fields not indexed yet on a fresh install: the rule still runs once they are.
            log.warning("seed rule uses fields not in the mapping yet", extra={"fields": exc.details["fields"]})
        services.store.create(body, rule_id=rule_id)

    plant(rule_seeds(services.settings), create, "rule")


def seed_digests(services: Services) -> None:
    """Create the ``digests_seed`` digests of api.yml that do not exist yet (by their ``id``)."""
    plant(digest_seeds(services.settings), lambda body, id_: services.digests.create(body, rule_id=id_), "digest")


def create_app(settings: ApiSettings, *, clock: Clock = utc_now, scheduler: bool | None = None) -> FastAPI:
    validate_seeds(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        services = Services.build(settings, clock)
        app.state.services = services
        provide(app.state, services, Keys(settings.auth, services.attempts), *services.features())
        seed_rules(services)
        seed_digests(services)
        services.checks.seal()
        services.checks.seed(settings.notifiers)
        if settings.scheduler.enabled if scheduler is None else scheduler:
            services.start()
        try:
            yield
        finally:
            services.close()

    app = FastAPI(
        title="grokpipe API",
        description="Saved queries over logs-* run on a schedule, grouped, throttled and notified; error groups "
        "(every distinct error once, with counts, status and owner) and their digests. "
        "Send an API key in the X-API-Key header (read-only keys may only GET and preview).",
        version="1",
        lifespan=lifespan,
        docs_url=None,  # /docs and /redoc are served without a CDN by api/routes/docs.py
        redoc_url=None,
    )
    # the features' routers (each in its package) and the wiring's own, in the order of /openapi.json
    for module in (
        rule_routes,
        alerts,
        group_routes,
        pattern_routes,
        digest_routes,
        notifiers,
        search_routes,
        health,
        docs,
    ):
        app.include_router(module.router)
    if settings.dev_sink:
        app.include_router(sink.router)
    app.include_router(check_routes.router)
    app.include_router(report_routes.router)
    app.include_router(monitor_routes.router)
    if settings.dev_sink:
        app.include_router(demo_routes.router)  # the example check's target
    app.mount("/ui", console_app(app, settings))  # the web console (api/console)

    @app.exception_handler(ApiError)
    async def _api_error(_: Request, exc: ApiError) -> JSONResponse:
        return _error(exc.status, exc.code, exc.message, exc.details)

    @app.exception_handler(HTTPException)
    async def _http_error(_: Request, exc: HTTPException) -> JSONResponse:
        response = _error(exc.status_code, "http_error", str(exc.detail))
        response.headers.update(exc.headers or {})
        return response

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors: list[dict[str, Any]] = []
        for e in exc.errors():
            error = {"loc": list(e["loc"]), "msg": e["msg"], "type": e["type"]}
            hint = hints.elastalert_hint(e["loc"], e["type"])
            if hint is not None:
                error["hint"] = hint
            errors.append(error)
        return _error(422, "validation_error", hints.summary(errors), {"errors": errors})

    return app

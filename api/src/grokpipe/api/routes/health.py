"""``/healthz`` (no auth, for load balancers) and ``/metrics`` (Prometheus, read key)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from grokpipe.api.deps import ServicesDep
from grokpipe.api.kernel.access import ReadAccess
from grokpipe.api.kernel.openapi import DeclaredRoute
from grokpipe.api.responses import Health

router = APIRouter(tags=["health"], route_class=DeclaredRoute)


@router.get("/healthz", responses={503: {"model": Health, "description": "Elasticsearch is unreachable"}})
def healthz(services: ServicesDep, response: Response) -> Health:
    es_ok = bool(services.es.ping())  # False, not an exception, when Elasticsearch is away or refuses
    if not es_ok:
        response.status_code = 503
    return Health(status="ok" if es_ok else "degraded", elasticsearch=es_ok, rules=len(services.scheduler.rules))


@router.get("/metrics", response_class=Response)
def metrics(_: ReadAccess) -> Response:
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

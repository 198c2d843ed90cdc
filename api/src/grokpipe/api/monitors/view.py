"""Monitors as of now, computed when asked from the ``sentry.checkin`` documents in ``logs-*``.

A monitor exists from its first check-in; its configuration is the latest ``monitor_config`` its
check-ins carried (``sentry.extra.monitor_config``). Its check-ins (the latest ``CHECKINS``) are
folded through :mod:`api.monitors.state`, then the clock: so ``missed`` and ``timeout`` show without
any job running. A monitor without a configuration has no schedule: its status is its last
check-in's. Nothing is stored and nothing notifies yet (docs/sentry.md says what is still to come).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from pydantic import BaseModel, ValidationError

from grokpipe.api.errors import NotFound, SearchFailed
from grokpipe.api.monitors.schedule import MonitorConfig
from grokpipe.api.monitors.state import CheckIn, new_state, on_checkin, on_tick
from grokpipe.api.runner import Clock
from grokpipe.elasticsearch_client import elasticsearch_errors
from grokpipe.errors import ElasticsearchError

DATASET = "sentry.checkin"
SLUG = "sentry.checkin.monitor_slug"
MONITORS = 1000
CHECKINS = 200


class CheckInView(BaseModel):
    id: str
    status: str
    at: datetime
    duration: float | None = None
    environment: str | None = None


class Monitor(BaseModel):
    slug: str
    status: str
    config: dict[str, Any] | None = None
    last_checkin: datetime | None = None
    next_expected: datetime | None = None
    incident: bool = False
    checkins: list[CheckInView] = []


def _checkin(source: dict[str, Any]) -> tuple[CheckInView, dict[str, Any] | None]:
    checkin = source.get("sentry", {}).get("checkin", {})
    extra = source.get("sentry", {}).get("extra") or {}
    config = extra.get("monitor_config") if isinstance(extra, dict) else None
    view = CheckInView(
        id=str(checkin.get("id", "")),
        status=str(checkin.get("status", "")),
        at=datetime.fromisoformat(str(source["@timestamp"]).replace("Z", "+00:00")),
        duration=checkin.get("duration"),
        environment=(source.get("service") or {}).get("environment"),
    )
    return view, config if isinstance(config, dict) else None


def fold(slug: str, checkins: list[CheckInView], config_doc: dict[str, Any] | None, now: datetime) -> Monitor:
    """A monitor from its check-ins (oldest first) as of ``now`` (pure)."""
    last = checkins[-1] if checkins else None
    try:
        config = MonitorConfig.model_validate(config_doc) if config_doc else None
    except ValidationError:
        config = None
    if config is None or last is None:
        return Monitor(
            slug=slug, status=last.status if last else "pending", config=config_doc,
            last_checkin=last.at if last else None, checkins=checkins,
        )  # fmt: skip
    state = new_state(config, checkins[0].at)
    for view in checkins:
        if view.status in {"in_progress", "ok", "error"}:
            state, _ = on_checkin(state, config, CheckIn(view.id, view.status, view.at))  # type: ignore[arg-type]
    state, _ = on_tick(state, config, now)
    return Monitor(
        slug=slug, status=state.status, config=config_doc, last_checkin=state.last_checkin,
        next_expected=state.next_expected, incident=state.incident, checkins=checkins,
    )  # fmt: skip


class MonitorView:
    def __init__(self, es: Elasticsearch, index: str, clock: Clock) -> None:
        self._es = es
        self._index = index
        self._clock = clock

    def _search(self, **body: Any) -> dict[str, Any]:
        try:
            with elasticsearch_errors(f"searching {self._index} for check-ins"):
                found: dict[str, Any] = self._es.search(
                    index=self._index, ignore_unavailable=True, allow_no_indices=True, **body
                ).body
        except ElasticsearchError as exc:
            raise SearchFailed(str(exc)) from None
        return found

    def slugs(self) -> list[str]:
        found = self._search(
            size=0,
            query={"term": {"event.dataset": DATASET}},
            aggs={"slugs": {"terms": {"field": SLUG, "size": MONITORS}}},
        )
        return sorted(b["key"] for b in found.get("aggregations", {}).get("slugs", {}).get("buckets", []))

    def get(self, slug: str) -> Monitor:
        found = self._search(
            size=CHECKINS,
            query={"bool": {"filter": [{"term": {"event.dataset": DATASET}}, {"term": {SLUG: slug}}]}},
            sort=[{"@timestamp": "desc"}],
        )
        hits = found.get("hits", {}).get("hits", [])
        if not hits:
            raise NotFound(f"no monitor {slug!r}")
        parsed = [_checkin(h["_source"]) for h in reversed(hits)]
        config = next((c for _, c in reversed(parsed) if c), None)
        return fold(slug, [view for view, _ in parsed], config, self._clock())

    def list(self) -> list[Monitor]:
        return [self.get(slug).model_copy(update={"checkins": []}) for slug in self.slugs()]

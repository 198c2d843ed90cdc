"""Monitors as of now, computed when asked from the ``sentry.checkin`` documents in ``logs-*``.

A saved monitor (:mod:`.store`: created by the API or by its first check-in carrying a
``monitor_config``) has its saved configuration; one that only checked in has the latest
``monitor_config`` its check-ins carried (``sentry.extra.monitor_config``). Its check-ins (the latest
``CHECKINS``) are folded through :mod:`api.monitors.state`, then the clock: so ``missed`` and
``timeout`` show without any job running, and the scheduled evaluation (:mod:`.service`) alerts from
the same fold. A monitor without a configuration has no schedule: its status is its last check-in's.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from elasticsearch import Elasticsearch
from pydantic import BaseModel, ValidationError

from grokpipe.api.errors import NotFound, SearchFailed
from grokpipe.api.kernel.clock import Clock
from grokpipe.api.monitors.schedule import MonitorConfig
from grokpipe.api.monitors.schemas import SavedMonitor
from grokpipe.api.monitors.state import CheckIn, new_state, on_checkin, on_tick
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
    name: str | None = None
    saved: bool = False  #: a saved monitor (evaluated on a schedule, alerts); else only its check-ins
    enabled: bool = True
    origin: str | None = None
    version: str | None = None
    notify: list[str] | None = None
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


def fold(
    slug: str,
    checkins: list[CheckInView],
    config_doc: dict[str, Any] | None,
    now: datetime,
    created: datetime | None = None,
) -> Monitor:
    """A monitor from its check-ins (oldest first) as of ``now`` (pure); ``created``: when a saved
    monitor was created, so one that never checked in is ``missed`` after its first expected run."""
    last = checkins[-1] if checkins else None
    try:
        config = MonitorConfig.model_validate(config_doc) if config_doc else None
    except ValidationError:
        config = None
    start = checkins[0].at if checkins else created
    if config is None or start is None:
        return Monitor(
            slug=slug, status=last.status if last else "pending", config=config_doc,
            last_checkin=last.at if last else None, checkins=checkins,
        )  # fmt: skip
    state = new_state(config, start)
    for view in checkins:
        if view.status in {"in_progress", "ok", "error"}:
            state, _ = on_checkin(state, config, CheckIn(view.id, view.status, view.at))  # type: ignore[arg-type]
    state, _ = on_tick(state, config, now)
    return Monitor(
        slug=slug, status=state.status, config=config_doc, last_checkin=state.last_checkin,
        next_expected=state.next_expected, incident=state.incident, checkins=checkins,
    )  # fmt: skip


def _saved(monitor: Monitor, saved: SavedMonitor | None) -> Monitor:
    if saved is None:
        return monitor
    return monitor.model_copy(
        update={
            "name": saved.name, "saved": True, "enabled": saved.enabled, "origin": saved.origin,
            "version": saved.version, "notify": saved.notify,
        }
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

    def latest_configs(self) -> dict[str, dict[str, Any]]:
        """Per slug, the ``monitor_config`` of its latest check-in that carried one (monitors to create or
        to update from their check-ins, as Sentry upserts them)."""
        has_config = {"exists": {"field": "sentry.extra.monitor_config.schedule.type"}}
        found = self._search(
            size=0,
            query={"bool": {"filter": [{"term": {"event.dataset": DATASET}}, has_config]}},
            aggs={
                "slugs": {
                    "terms": {"field": SLUG, "size": MONITORS},
                    "aggs": {
                        "latest": {
                            "top_hits": {"size": 1, "sort": [{"@timestamp": "desc"}], "_source": ["sentry.extra"]}
                        }
                    },
                }
            },
        )
        out: dict[str, dict[str, Any]] = {}
        for bucket in found.get("aggregations", {}).get("slugs", {}).get("buckets", []):
            hits = bucket["latest"]["hits"]["hits"]
            extra = (hits[0]["_source"].get("sentry") or {}).get("extra") if hits else None
            config = extra.get("monitor_config") if isinstance(extra, dict) else None
            if isinstance(config, dict):
                out[str(bucket["key"])] = config
        return out

    def checkins(self, slug: str) -> list[tuple[CheckInView, dict[str, Any] | None]]:
        """The latest ``CHECKINS`` check-ins of ``slug``, oldest first, each with its ``monitor_config``."""
        found = self._search(
            size=CHECKINS,
            query={"bool": {"filter": [{"term": {"event.dataset": DATASET}}, {"term": {SLUG: slug}}]}},
            sort=[{"@timestamp": "desc"}],
        )
        return [_checkin(h["_source"]) for h in reversed(found.get("hits", {}).get("hits", []))]

    def get(self, slug: str, saved: SavedMonitor | None = None, now: datetime | None = None) -> Monitor:
        """``slug`` as of ``now`` (default: the clock), with ``saved``'s configuration when it is saved."""
        parsed = self.checkins(slug)
        if not parsed and saved is None:
            raise NotFound(f"no monitor {slug!r}")
        if saved is not None:
            config: dict[str, Any] | None = saved.config.model_dump(mode="json")
        else:
            config = next((c for _, c in reversed(parsed) if c), None)
        created = saved.created if saved is not None else None
        monitor = fold(slug, [view for view, _ in parsed], config, now or self._clock(), created)
        return _saved(monitor, saved)

    def list(self, saved: dict[str, SavedMonitor] | None = None) -> list[Monitor]:
        saved = saved or {}
        slugs = sorted(set(self.slugs()) | set(saved))
        return [self.get(slug, saved.get(slug)).model_copy(update={"checkins": []}) for slug in slugs]

"""Error groups against a real noida-db: exact counts (stored + live), late events, regressions after
resolve, merges that persist, ignore, a pass interrupted half-way, and new/regressed notifications."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, Receiver, http_receiver, new_logs_index, serve
from support.groups import add, es_count, event

from grokpipe.api.app import create_app
from grokpipe.api.groups.schemas import EPOCH
from grokpipe.api.services import Services

T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as r:
        yield r


@pytest.fixture
def setup(es: Elasticsearch, make_services: Any, clock: FakeClock, receiver: Receiver) -> Iterator[tuple[Any, ...]]:
    index = new_logs_index(es, [])
    services: Services = make_services(
        errors={"index": index, "settle": 60, "notify": ["hook"], "realert": "0s"},
        notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}},
    )
    app = create_app(services.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        # the app built its own Services in the lifespan, on the same indices and clock
        yield client, app.state.services, index


def kinds(receiver: Receiver) -> list[tuple[str, str]]:
    return [(r.body["kind"], r.body["group"]["id"]) for r in receiver.requests]


def test_counts_stay_exact_through_live_and_settled_slices_and_late_events(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock, receiver: Receiver
) -> None:
    client, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [event("a", T0 - timedelta(hours=3, minutes=i), old) for i in range(3)])
    add(es, index, [event("b", T0 - timedelta(hours=2), old) for _ in range(2)])
    result = services.group_sync.run_once()
    assert sorted(result.created) == ["a", "b"]
    assert sorted(kinds(receiver)) == [("new", "a"), ("new", "b")]

    page = client.get("/errors", headers=READ).json()
    assert [(g["id"], g["count"], g["total"]) for g in page["items"]] == [("a", 3, 3), ("b", 2, 2)]
    a = page["items"][0]
    assert a["first_seen"].startswith("2026-01-05T08:58")
    assert a["last_seen"].startswith("2026-01-05T09:00")
    assert a["status"] == "unresolved"
    assert a["culprit"] == "/app/a.php:7"
    assert a["level"] == "critical"

    # Two more, ingested 30 s ago: not settled yet, counted live; one late event (older @timestamp).
    clock.advance(timedelta(seconds=40))
    add(es, index, [event("a", T0, T0 + timedelta(seconds=10)) for _ in range(2)])
    add(es, index, [event("a", T0 - timedelta(days=1), T0 + timedelta(seconds=10))])
    services.group_sync.run_once()
    stored = services.groups.get("a").group
    assert stored.count == 3  # the new ones are within the settle time
    got = client.get("/errors/a", headers=READ).json()
    assert got["total"] == 6 == es_count(es, index, "a")
    assert got["first_seen"].startswith("2026-01-04T12:00")  # the late event moved first_seen

    # Later, those settle into the stored count; the total does not change.
    clock.advance(timedelta(minutes=5))
    services.group_sync.run_once()
    services.group_sync.run_once()  # a second pass over the same slice adds nothing
    assert services.groups.get("a").group.count == 6
    assert client.get("/errors/a", headers=READ).json()["total"] == 6
    assert sorted(kinds(receiver)) == [("new", "a"), ("new", "b")]  # no notification for old groups


def test_a_pass_killed_half_way_counts_nothing_twice(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    _client, services, index = setup
    old = T0 - timedelta(minutes=10)
    keys = [f"k{i}" for i in range(6)]
    add(es, index, [event(k, T0 - timedelta(hours=1), old) for k in keys for _ in range(2)])
    services.group_sync.run_once()
    clock.advance(timedelta(minutes=5))
    add(es, index, [event(k, T0, T0 + timedelta(seconds=30)) for k in keys for _ in range(3)])
    # A pass that wrote three groups and died before the watermark moved:
    sync = services.group_sync
    from grokpipe.api.groups.stats import fold

    since = services.groups.watermark()
    settled_before = clock() - timedelta(seconds=60)
    hits, settled_before = sync._changed_events(since, settled_before)
    stats = fold(hits, settled_before)
    existing = services.groups.many(keys[:3])
    from grokpipe.api.groups.sync import SyncResult

    for key in keys[:3]:
        sync._observe(
            key,
            stats=stats[key],
            current=existing[key],
            added=stats[key].settled,
            since=since,
            settled_before=settled_before,
            now=clock(),
            result=SyncResult(since, settled_before),
        )
    assert services.groups.watermark() == since
    # readers count each group from its own bound (two bounds now, in one request): totals stay exact
    assert len({g.settled_through for g in (services.groups.get(k).group for k in keys)}) == 2
    totals = {g.id: g.total for g in services.errors.search(limit=100).items}
    assert totals == {k: es_count(es, index, k) for k in keys}
    clock.advance(timedelta(seconds=7))  # the restarted replica's pass has a later bound
    services.group_sync.run_once()
    for key in keys:
        assert services.groups.get(key).group.count == 5 == es_count(es, index, key), key
    assert services.groups.watermark() > since > EPOCH


def test_resolve_regress_merge_and_ignore(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock, receiver: Receiver
) -> None:
    client, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [event("a", T0 - timedelta(hours=1), old), event("b", T0 - timedelta(hours=1), old)])
    add(es, index, [event("c", T0 - timedelta(hours=1), old, level="error")])
    services.group_sync.run_once()

    assert client.post("/errors/a/resolve", headers=READ).status_code == 403
    resolved = client.post("/errors/a/resolve", headers=ADMIN).json()
    assert resolved["status"] == "resolved"
    # an old event arriving late does not regress it; a new one does
    clock.advance(timedelta(minutes=1))
    add(es, index, [event("a", T0 - timedelta(hours=2), clock())])
    services.group_sync.run_once()
    assert client.get("/errors/a", headers=READ).json()["status"] == "resolved"
    add(es, index, [event("a", clock(), clock())])
    clock.advance(timedelta(seconds=5))
    services.group_sync.run_once()
    regressed = client.get("/errors/a", headers=READ).json()
    assert regressed["status"] == "unresolved"
    assert regressed["regressed_at"] is not None
    assert kinds(receiver).count(("regressed", "a")) == 1

    # merge b into a: b's past and future events count for a; b answers as a
    merged = client.post("/errors/b/merge", headers=ADMIN, json={"into": "a"}).json()
    assert merged["id"] == "a"
    assert merged["aliases"] == ["b"]
    assert merged["total"] == 4
    add(es, index, [event("b", clock(), clock())])
    clock.advance(timedelta(seconds=5))
    services.group_sync.run_once()
    assert client.get("/errors/b", headers=READ).json()["id"] == "a"
    ids = [g["id"] for g in client.get("/errors", headers=READ).json()["items"]]
    assert ids == ["a", "c"]
    assert client.get("/errors/a", headers=READ).json()["total"] == 5 == es_count(es, index, "a", "b")
    events = client.get("/errors/a/events", headers=READ, params={"limit": 2}).json()
    assert events["total"] == 5
    assert len(events["items"]) == 2

    # ignore c until two more events: the second one brings it back
    ignored = client.post("/errors/c/ignore", headers=ADMIN, json={"count": 2}).json()
    assert ignored["status"] == "ignored"
    assert ignored["ignore_until_count"] == 3
    add(es, index, [event("c", clock(), clock(), level="error")])
    clock.advance(timedelta(seconds=5))
    services.group_sync.run_once()
    assert client.get("/errors/c", headers=READ).json()["status"] == "ignored"
    add(es, index, [event("c", clock(), clock(), level="error")])
    clock.advance(timedelta(seconds=5))
    services.group_sync.run_once()
    assert client.get("/errors/c", headers=READ).json()["status"] == "unresolved"
    # ignore until a moment
    client.post("/errors/c/ignore", headers=ADMIN, json={"until": (clock() + timedelta(hours=1)).isoformat()})
    clock.advance(timedelta(hours=2))
    services.group_sync.run_once()
    assert client.get("/errors/c", headers=READ).json()["status"] == "unresolved"

    # filters and sorts
    assert [g["id"] for g in client.get("/errors", headers=READ, params={"level": "error"}).json()["items"]] == ["c"]
    by_first = client.get("/errors", headers=READ, params={"sort": "first_seen"}).json()["items"]
    assert {g["id"] for g in by_first} == {"a", "c"}
    assert client.get("/errors", headers=READ, params={"q": "error c"}).json()["total"] == 1
    assert client.get("/errors/zzz", headers=READ).status_code == 404


def test_one_replica_per_sync_interval(es: Elasticsearch, setup: tuple[Any, ...], make_services: Any) -> None:
    _client, services, index = setup
    add(es, index, [event("a", T0 - timedelta(hours=1), T0 - timedelta(minutes=10))])
    replica = make_services(**{k: v for k, v in services.settings.model_dump().items() if k in ("errors", "indices")})
    first = services.group_sync.tick()
    assert first is not None
    assert first.created == ["a"]
    assert replica.group_sync.tick() is None  # the same interval, claimed by the first replica
    assert services.group_sync.tick() is None  # and run once


def test_a_concurrent_write_wins_and_the_pass_retries_from_it(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    client, services, index = setup
    add(es, index, [event("a", T0 - timedelta(hours=1), T0 - timedelta(minutes=10))])
    services.group_sync.run_once()
    stale = services.groups.get("a")
    client.post("/errors/a/resolve", headers=ADMIN)  # written in between
    assert services.groups.write_many([(stale, stale.group)]) == [None]
    # the next pass reads the resolved group, counts on from its bound and keeps the status
    clock.advance(timedelta(minutes=2))
    add(es, index, [event("a", T0 - timedelta(hours=2), clock() - timedelta(minutes=1.5))])
    services.group_sync.run_once()
    group = services.groups.get("a").group
    assert (group.status, group.count) == ("resolved", 2)


def test_a_backlog_is_worked_off_over_several_passes_exactly(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    _client, services, index = setup
    services.group_sync.settings = services.group_sync.settings.model_copy(update={"max_events_per_pass": 100})
    base = T0 - timedelta(minutes=30)
    add(es, index, [event(f"b{i % 3}", base, base + timedelta(milliseconds=i)) for i in range(250)])
    first = services.group_sync.run_once()
    assert first.settled_before == base + timedelta(milliseconds=99)  # the 100th event's ingestion moment
    services.group_sync.run_once()
    services.group_sync.run_once()
    last = services.group_sync.run_once()
    assert last.settled_before == clock() - timedelta(seconds=60)
    for key in ("b0", "b1", "b2"):
        assert services.groups.get(key).group.count == es_count(es, index, key)


def test_reconcile_repairs_events_stamped_before_the_watermark(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    client, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [event("a", T0 - timedelta(hours=1), old) for _ in range(2)])
    services.group_sync.run_once()
    clock.advance(timedelta(minutes=5))
    services.group_sync.run_once()  # the watermark is now T0 + 4 min
    # A bulk request that timed out on the client was applied later: its documents keep the first stamp.
    add(es, index, [event("a", T0, old), event("late", T0, old)])
    add(es, index, [event("a", T0, clock() - timedelta(seconds=30))])  # on time: counted live
    missed = services.group_sync.run_once()
    assert missed.repaired == []
    assert client.get("/errors/a", headers=READ).json()["total"] == 3  # one of 4 missed by the slices
    assert "late" not in services.groups.many(["late"])
    repaired = client.post("/errors/sync", headers=ADMIN, params={"reconcile": True}).json()
    assert sorted(repaired["repaired"]) == ["a", "late"]
    assert services.groups.get("a").group.count == 3  # the two old, the late one; the on-time one is live
    assert client.get("/errors/a", headers=READ).json()["total"] == 4 == es_count(es, index, "a")
    assert services.groups.get("late").group.count == 1
    assert client.get("/errors/late", headers=READ).json()["total"] == 1


def test_the_list_filters_by_host_and_by_container(es: Elasticsearch, setup: tuple[Any, ...]) -> None:
    client, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [event("a", T0 - timedelta(hours=1), old, container__name="whatweb-server-staging")])
    add(es, index, [event("b", T0 - timedelta(hours=1), old, host="web-2", container__name="worker")])
    add(es, index, [event("c", T0 - timedelta(hours=1), old)])
    services.group_sync.run_once()

    def ids(**params: str) -> list[str]:
        return sorted(g["id"] for g in client.get("/errors", params=params, headers=READ).json()["items"])

    assert ids() == ["a", "b", "c"]
    assert ids(container="whatweb-server-staging") == ["a"]
    assert ids(host="web-2") == ["b"]
    assert ids(host="web-1", container="worker") == []
    group = client.get("/errors", params={"container": "worker"}, headers=READ).json()["items"][0]
    assert group["containers"] == ["worker"]

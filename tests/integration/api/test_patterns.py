"""The pattern store against a real noida-db: stable ids, merges that stay, templates that generalise,
exact counts per window (stored + live), the filters and sorts of ``GET /patterns``, a key answering as its
pattern, a pass killed half-way, two replicas, and the bound under a flood of distinct keys."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import READ_KEY, FakeClock, new_logs_index, serve
from support.groups import add
from support.patterns import count_keys, key_of, line

from grokpipe.api.app import create_app
from grokpipe.api.patterns.schemas import OVERFLOW
from grokpipe.api.services import Services

T0 = datetime.fromisoformat("2026-01-05T12:00:00+00:00")
READ = {"X-API-Key": READ_KEY}
ALICE, BOB, CAROL = "user alice logged in", "user bob logged in", "user carol logged in"
OUT = "user <*> logged out"
DISK = "disk <num> failed on <hex>"


@pytest.fixture
def setup(es: Elasticsearch, make_services: Any, clock: FakeClock) -> Iterator[tuple[Any, ...]]:
    clock.now = T0
    index = new_logs_index(es, [])
    services: Services = make_services(patterns={"index": index, "settle": 60})
    app = create_app(services.settings, clock=clock, scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        yield client, app.state.services, index


def listing(client: httpx.Client, **params: Any) -> list[tuple[str, int]]:
    page = client.get("/patterns", headers=READ, params=params).json()
    return [(p["id"], p["count"]) for p in page["items"]]


def test_ids_stay_merges_stay_templates_generalise_and_counts_are_exact(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock
) -> None:
    client, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [line(ALICE, T0 - timedelta(hours=2, minutes=i), old) for i in range(3)])
    add(es, index, [line(DISK, T0 - timedelta(hours=1), old, level="error", host="db-1") for _ in range(2)])
    result = services.pattern_sync.run_once()
    assert sorted(result.created) == sorted([key_of(ALICE), key_of(DISK)])
    assert listing(client) == [(key_of(ALICE), 3), (key_of(DISK), 2)]

    # events within the settle time: a known key's are counted live at once, a new key waits for the pass
    # that reads its settled events
    clock.advance(timedelta(seconds=30))
    add(es, index, [line(BOB, T0, T0 + timedelta(seconds=20)) for _ in range(2)])
    add(es, index, [line(OUT, T0, T0 + timedelta(seconds=20)), line(ALICE, T0, T0 + timedelta(seconds=20))])
    assert services.pattern_sync.run_once().keys == 0
    assert client.get(f"/patterns/{key_of(ALICE)}", headers=READ).json()["total"] == 4
    assert services.pattern_store.get(key_of(ALICE)).count == 3
    assert client.get(f"/patterns/{key_of(BOB)}", headers=READ).status_code == 404

    # settled: bob's key joins alice's pattern, the id stays, the template generalises; "logged out" is a
    # pattern of its own (a choice among literals, not a value); a second pass over the same slice adds nothing
    clock.advance(timedelta(minutes=5))
    result = services.pattern_sync.run_once()
    assert result.merged == 1
    assert result.created == [key_of(OUT)]
    services.pattern_sync.run_once()
    got = client.get(f"/patterns/{key_of(ALICE)}", headers=READ).json()
    assert got["template"] == "user <*> logged in"
    assert sorted(got["merged_keys"]) == sorted([key_of(ALICE), key_of(BOB)])
    assert got["total"] == 6 == count_keys(es, index, key_of(ALICE), key_of(BOB))
    assert services.pattern_store.get(key_of(ALICE)).count == 6
    # a merged key answers as its pattern
    assert client.get(f"/patterns/{key_of(BOB)}", headers=READ).json()["id"] == key_of(ALICE)

    # new data never undoes a merge, and a key seen again stays where it was
    add(es, index, [line(CAROL, T0, clock() - timedelta(seconds=5)), line(BOB, T0, clock() - timedelta(seconds=5))])
    clock.advance(timedelta(minutes=2))
    services.pattern_sync.run_once()
    stored = services.pattern_store.get(key_of(ALICE))
    assert stored.keys == [key_of(ALICE), key_of(BOB), key_of(CAROL)]
    assert stored.template == "user <*> logged in"
    assert stored.count == 8

    # counts in a window are exact, and filters apply to events
    window = {"since": (T0 - timedelta(hours=3)).isoformat(), "until": (T0 + timedelta(minutes=1)).isoformat()}
    assert listing(client, **window) == [(key_of(ALICE), 8), (key_of(DISK), 2), (key_of(OUT), 1)]
    assert listing(client, **window, level="error") == [(key_of(DISK), 2)]
    assert listing(client, **window, host="db-1") == [(key_of(DISK), 2)]
    assert listing(client, **window, dataset="other") == []
    recent = {"since": (T0 - timedelta(minutes=30)).isoformat(), "until": (T0 + timedelta(minutes=1)).isoformat()}
    assert listing(client, **recent) == [(key_of(ALICE), 5), (key_of(OUT), 1)]
    assert listing(client, **recent, sort="rare") == [(key_of(OUT), 1), (key_of(ALICE), 5)]
    # change against the 30 minutes before: alice +5, logged out +1 (disk was 1 h before)
    page = client.get("/patterns", headers=READ, params=recent | {"sort": "change"}).json()
    assert [(p["id"], p["change"]) for p in page["items"]] == [(key_of(ALICE), 5), (key_of(OUT), 1)]
    assert [
        p["id"] for p in client.get("/patterns", headers=READ, params=window | {"sort": "first_seen"}).json()["items"]
    ] == [key_of(OUT), key_of(DISK), key_of(ALICE)]
    detail = client.get(f"/patterns/{key_of(ALICE)}", headers=READ).json()
    assert sum(b["count"] for b in detail["histogram"]) == 8
    assert len(detail["samples"]) == 5
    assert all(s["log"]["pattern"]["key"] in stored.keys for s in detail["samples"])
    assert client.get("/patterns/nope", headers=READ).status_code == 404
    assert client.get("/patterns").status_code == 401


def test_a_pass_killed_half_way_counts_nothing_twice(
    es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, services, index = setup
    old = T0 - timedelta(minutes=10)
    add(es, index, [line(ALICE, T0 - timedelta(hours=1), old) for _ in range(2)])
    add(es, index, [line(DISK, T0 - timedelta(hours=1), old) for _ in range(2)])
    services.pattern_sync.run_once()
    add(es, index, [line(ALICE, T0, T0 - timedelta(seconds=30)) for _ in range(3)])
    add(es, index, [line(DISK, T0, T0 - timedelta(seconds=30))])
    clock.advance(timedelta(minutes=2))
    # a pass that wrote alice's pattern and died before the watermark moved
    store, sync = services.pattern_store, services.pattern_sync

    def killed(moment: datetime) -> None:
        raise RuntimeError("killed")

    with monkeypatch.context() as patch:
        patch.setattr(store, "save_watermark", killed)
        with pytest.raises(RuntimeError):
            sync.run_once()
    assert store.get(key_of(ALICE)).count == 5
    add(es, index, [line(ALICE, T0, clock() - timedelta(seconds=30))])
    clock.advance(timedelta(minutes=2))
    sync.run_once()
    assert store.get(key_of(ALICE)).count == 6 == count_keys(es, index, key_of(ALICE))
    assert store.get(key_of(DISK)).count == 3 == count_keys(es, index, key_of(DISK))


def test_two_replicas_take_turns_and_keep_ids(es: Elasticsearch, make_services: Any, clock: FakeClock) -> None:
    clock.now = T0
    index = new_logs_index(es, [])
    first: Services = make_services(patterns={"index": index, "settle": 60, "sync_interval": 10})
    second = Services.build(first.settings, clock)
    try:
        add(es, index, [line(ALICE, T0 - timedelta(hours=1), T0 - timedelta(minutes=5))])
        assert first.pattern_sync.tick() is not None
        assert second.pattern_sync.tick() is None  # same interval: the lease is taken
        clock.advance(timedelta(seconds=10))
        add(es, index, [line(BOB, T0, T0 - timedelta(seconds=55))])
        result = second.pattern_sync.tick()
        assert result is not None
        assert result.merged == 1  # it read what the first replica stored
        assert first.pattern_store.get(key_of(ALICE)).keys == [key_of(ALICE), key_of(BOB)]
        assert first.pattern_store.get(key_of(ALICE)).count == 2
    finally:
        second.close()


def test_a_flood_of_distinct_keys_stays_bounded(es: Elasticsearch, make_services: Any, clock: FakeClock) -> None:
    clock.now = T0
    index = new_logs_index(es, [])
    services: Services = make_services(
        patterns={"index": index, "settle": 60, "max_patterns": 10, "max_keys_per_pattern": 20, "candidates": 5}
    )
    ingested = T0 - timedelta(minutes=5)
    # 40 keys of one message with a random token: one pattern, 20 keys listed, the rest dropped and counted
    tokens = [f"{i:02d}" + "qwertyuiopasdfghjklzx"[: 16 + i % 4] for i in range(40)]
    flood = [line(f"token {t} was refused", T0 - timedelta(minutes=1), ingested) for t in tokens]
    # 30 messages that merge with nothing: 10 patterns, then the overflow pattern
    distinct = [line(f"w{i} alpha beta", T0, ingested) for i in range(30)]
    add(es, index, flood + distinct)
    result = services.pattern_sync.run_once()
    assert result.keys == 70
    assert len(result.created) == 10
    assert result.merged == 39
    assert result.overflow == 21
    assert services.pattern_store.count() == 11  # ten patterns and the overflow one
    token = services.pattern_store.get(key_of(f"token {tokens[0]} was refused"))
    assert token.template == "token <*> was refused"
    assert (len(token.keys), token.keys_dropped, token.count) == (20, 20, 40)
    overflow = services.pattern_store.get(OVERFLOW)
    assert (overflow.keys, overflow.keys_dropped, overflow.count) == ([], 21, 21)
    # the same flood again: nothing new is stored
    add(es, index, [line(f"w{i} alpha beta", T0, T0 + timedelta(minutes=1)) for i in range(30)])
    clock.advance(timedelta(minutes=3))
    services.pattern_sync.run_once()
    assert services.pattern_store.count() == 11
    assert services.pattern_store.get(OVERFLOW).count == 42


def test_a_digest_lists_the_periods_new_patterns(es: Elasticsearch, setup: tuple[Any, ...], clock: FakeClock) -> None:
    client, services, index = setup
    old = T0 - timedelta(days=2)
    add(es, index, [line(DISK, T0 - timedelta(days=1, hours=h), old) for h in (1, 2)])  # before the period
    add(es, index, [line(DISK, T0 - timedelta(hours=1), old)])
    add(
        es,
        index,
        [line(ALICE, T0 - timedelta(hours=h), old) for h in (1, 2, 3)] + [line(OUT, T0 - timedelta(hours=2), old)],
    )
    services.pattern_sync.run_once()
    period = {"start": (T0 - timedelta(hours=12)).isoformat(), "end": T0.isoformat()}
    body = {"digest": {"name": "Daily", "new_patterns": 5}} | period
    report = client.post("/digests/preview", headers=READ, json=body).json()
    assert [(p["id"], p["template"], p["count"]) for p in report["patterns"]] == [
        (key_of(ALICE), ALICE, 3),
        (key_of(OUT), OUT, 1),
    ]
    without = client.post("/digests/preview", headers=READ, json={"digest": {"name": "Daily"}} | period).json()
    assert without["patterns"] == []

"""Lease documents in real noida-db: one claim per tick, a dead replica's lease expires, state survives."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from elasticsearch import Elasticsearch

from grokpipe.api.lease import Leases
from grokpipe.api.throttle import RuleState

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_claims_are_exclusive_and_dead_leases_expire(es: Elasticsearch) -> None:
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=60)
    b = Leases(es, index, owner="b", lease_seconds=60)

    first = a.claim("r1", T0, T0)
    assert first is not None
    assert b.claim("r1", T0, T0) is None  # same tick: already claimed
    remembered = RuleState(last_run=T0, last_tick=T0)
    assert a.release(first, remembered)
    assert a.claim("r1", T0, T0 + timedelta(seconds=5)) is None  # a released tick is never re-run
    assert b.claim("r1", T0, T0 + timedelta(seconds=5)) is None

    # a claims the next tick and dies without releasing
    dead = a.claim("r1", T0 + MINUTE, T0 + MINUTE)
    assert dead is not None
    assert b.claim("r1", T0 + 2 * MINUTE, T0 + MINUTE + timedelta(seconds=30)) is None  # lease still live
    taken = b.claim("r1", T0 + 2 * MINUTE, T0 + 2 * MINUTE + timedelta(seconds=61))  # lease expired
    assert taken is not None
    assert taken.state == remembered  # throttle state carried over to the new owner
    assert not a.release(dead, RuleState())  # the dead owner's late release loses
    assert b.release(taken, remembered)
    assert b.state("r1") == remembered

"""Lease documents in real noida-db: one claim per tick, a dead replica's lease expires, state survives,
a long run keeps its lease (renewed) until it releases or holds it too long."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch

from grokpipe.api.kernel import lease
from grokpipe.api.kernel.alertstate import RuleState
from grokpipe.api.kernel.lease import Leases

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_claims_are_exclusive_and_dead_leases_expire(es: Elasticsearch) -> None:
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=60)
    b = Leases(es, index, owner="b", lease_seconds=60)

    first = a.claim("r1", T0, T0)
    assert first is not None
    assert b.claim("r1", T0, T0) is None  # same tick: already claimed
    assert a.claim("r1", T0 + timedelta(seconds=1), T0) is None  # "run now" while a's own run holds it
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


def _claimed_by_b_within(b: Leases, rule_id: str, tick: datetime, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        claim = b.claim(rule_id, tick, datetime.now(UTC))
        if claim is not None:
            b.release(claim, claim.state)
            return True
        time.sleep(0.05)
    return False


def test_a_run_longer_than_its_lease_keeps_it_and_stores_its_state(es: Elasticsearch) -> None:
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=2.0)  # renewed every 0.7 s: a busy machine may stall 1.3 s
    b = Leases(es, index, owner="b", lease_seconds=2.0)
    tick = datetime.now(UTC).replace(microsecond=0)
    try:
        claim = a.claim("r1", tick, datetime.now(UTC))
        assert claim is not None
        assert not _claimed_by_b_within(b, "r1", tick + MINUTE, 5.0)  # two and a half leases: renewed
        state = RuleState(last_run=tick, last_tick=tick)
        assert a.release(claim, state)  # the renewals moved _seq_no; the release follows them
        assert b.state("r1") == state
        assert _claimed_by_b_within(b, "r1", tick + MINUTE, 2.0)
    finally:
        a.close()
        b.close()


def test_a_claim_never_released_is_renewed_only_up_to_the_hold_limit(
    es: Elasticsearch, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(lease, "HOLD_LIMIT", 2)
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=0.5)
    b = Leases(es, index, owner="b", lease_seconds=0.5)
    tick = datetime.now(UTC).replace(microsecond=0)
    try:
        assert a.claim("r1", tick, datetime.now(UTC)) is not None  # and its run never releases it
        assert _claimed_by_b_within(b, "r1", tick + MINUTE, 5.0)  # held 2 leases, then expired
        late = a.claim("r2", tick, datetime.now(UTC))
        assert late is not None
        time.sleep(1.5)  # past the hold limit, and the lease ran out, but no one took it
        state = RuleState(last_run=tick, last_tick=tick)
        assert a.release(late, state)  # from the last renewal's _seq_no
        assert b.state("r2") == state
    finally:
        a.close()
        b.close()


def test_a_write_of_ours_that_landed_unseen_does_not_lose_the_release(es: Elasticsearch) -> None:
    """A renewal or a release whose answer timed out, and that was retried, moved the _seq_no itself."""
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=60)
    state = RuleState(last_run=T0, last_tick=T0)
    try:
        for rule_id, released in (("renewed", False), ("released", True)):
            claim = a.claim(rule_id, T0, T0)
            assert claim is not None
            landed = a._doc(T0, T0 + MINUTE, state if released else claim.state)  # as the lost write left it
            if released:
                landed["lease_until"] = None
            es.index(index=index, id=rule_id, document=landed, refresh=True)
            assert a.release(claim, state), rule_id
            assert a.state(rule_id) == state
            assert a.claim(rule_id, T0, T0 + MINUTE) is None  # the tick stays done
    finally:
        a.close()

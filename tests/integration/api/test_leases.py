"""Lease documents in real noida-db: one claim per tick, a dead replica's lease expires, state survives,
a long run keeps its lease (renewed) until it releases or holds it too long; each feature's state type
round-trips through the same document fields."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from elasticsearch import Elasticsearch
from pydantic import BaseModel

from grokpipe.api.checks.alerts import CheckLease, CheckState
from grokpipe.api.kernel import lease
from grokpipe.api.kernel.alertstate import GroupState
from grokpipe.api.kernel.lease import Leases, NoState
from grokpipe.api.monitors.alerts import IncidentState, MonitorLease
from grokpipe.api.rules.state import RuleState

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_claims_are_exclusive_and_dead_leases_expire(es: Elasticsearch) -> None:
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=60, state_type=RuleState)
    b = Leases(es, index, owner="b", lease_seconds=60, state_type=RuleState)

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


def _claimed_by_b_within(b: Leases[RuleState], rule_id: str, tick: datetime, seconds: float) -> bool:
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
    a = Leases(
        es, index, owner="a", lease_seconds=2.0, state_type=RuleState
    )  # renewed every 0.7 s: a busy machine may stall 1.3 s
    b = Leases(es, index, owner="b", lease_seconds=2.0, state_type=RuleState)
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
    a = Leases(es, index, owner="a", lease_seconds=0.5, state_type=RuleState)
    b = Leases(es, index, owner="b", lease_seconds=0.5, state_type=RuleState)
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
    a = Leases(es, index, owner="a", lease_seconds=60, state_type=RuleState)
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


STATES: list[tuple[str, BaseModel]] = [
    ("rule", RuleState(last_run=T0, last_tick=T0, groups={"g": GroupState(since=T0, acknowledged=True)})),
    ("check", CheckLease(last_run=T0, last_tick=T0, check=CheckState(down=True, since=T0, failures=2))),
    ("monitor", MonitorLease(last_run=T0, last_tick=T0, monitor=IncidentState(open=True, since=T0, kind="missed"))),
    ("nothing", NoState()),
]


@pytest.mark.parametrize(("lease_id", "state"), STATES, ids=[s[0] for s in STATES])
def test_every_state_type_round_trips_through_the_same_document(
    es: Elasticsearch, lease_id: str, state: BaseModel
) -> None:
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    a = Leases(es, index, owner="a", lease_seconds=60, state_type=NoState)
    b = Leases(es, index, owner="b", lease_seconds=60, state_type=NoState)
    mine, theirs = a.of(type(state)), b.of(type(state))
    assert a.of(type(state)) is mine  # one instance per state type
    try:
        claim = mine.claim(lease_id, T0, T0)
        assert claim is not None
        assert claim.state == type(state)()
        assert mine.release(claim, state)
        assert theirs.state(lease_id) == state  # another replica reads it back, typed
        stored = es.get(index=index, id=lease_id)["_source"]
        assert set(stored) == {"last_tick", "owner", "lease_until", "state"}
        taken = theirs.claim(lease_id, T0 + MINUTE, T0 + MINUTE)
        assert taken is not None
        assert taken.state == state
        assert theirs.release(taken, taken.state)
    finally:
        a.close()
        b.close()


def test_a_check_state_stored_as_a_rule_state_loads_as_the_check_state(es: Elasticsearch) -> None:
    """Lease documents written when checks kept their streaks inside a rule's state (``groups.check.group``)."""
    index = f"grokpipe-rule-state-{uuid.uuid4().hex[:8]}"
    check = CheckState(down=True, since=T0, failures=3, last_notified=T0)
    earlier = RuleState(
        last_run=T0,
        last_tick=T0,
        groups={"check": GroupState(since=T0, last_notified=T0, group=check.model_dump(mode="json"))},
    )
    document = {
        "last_tick": T0.isoformat(),
        "owner": "a",
        "lease_until": None,
        "state": earlier.model_dump(mode="json"),
    }
    es.index(index=index, id="check-c1", document=document, refresh=True)
    checks = Leases(es, index, owner="b", lease_seconds=60, state_type=CheckLease)
    try:
        claim = checks.claim("check-c1", T0 + MINUTE, T0 + MINUTE)
        assert claim is not None
        assert claim.state == CheckLease(last_run=T0, last_tick=T0, check=check)
        assert checks.release(claim, claim.state)
        assert RuleState.model_validate(es.get(index=index, id="check-c1")["_source"]["state"]) == earlier
    finally:
        checks.close()

"""Throttling over a simulated day, driven by an injectable clock (no sleeping): a group that keeps
matching notifies exactly once with ``realert: 1d``; recovery notifies once; a restart neither
re-alerts nor forgets; acknowledged groups stay quiet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from elasticsearch import Elasticsearch
from support.api import T0, FakeClock, doc, http_receiver, new_logs_index

from grokpipe.api.rules import throttle
from grokpipe.api.rules.schemas import RuleCreate
from grokpipe.api.services import Services

STEP = timedelta(minutes=10)
DAY = timedelta(days=1)


def test_one_notification_per_day_then_one_recovery(
    es: Elasticsearch, make_services: Callable[..., Services], clock: FakeClock
) -> None:
    # One matching event every 10 minutes for a day, then silence.
    docs = [
        doc(T0 + i * STEP - timedelta(minutes=5), message="Fatal", error__grouping_key="G", event__dataset="php.error")
        for i in range(DAY // STEP)
    ]
    logs = new_logs_index(es, docs)
    with http_receiver() as receiver:
        services = make_services(notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}})
        rule = services.store.create(
            RuleCreate.model_validate(
                {
                    "name": "daily",
                    "index": logs,
                    "query": "error.grouping_key:G",
                    "group_by": ["error.grouping_key"],
                    "schedule": {"interval": "10m"},
                    "window": "10m",
                    "condition": {"type": "threshold", "count": 1},
                    "realert": "1d",
                    "notify": ["hook"],
                }
            )
        )
        tick = T0
        for _ in range(DAY // STEP):  # the whole matching day
            clock.now = tick
            assert services.runner.run(rule, tick) is not None
            tick += STEP
        assert [r.body["kind"] for r in receiver.requests] == ["fired"]

        # A restarted api (new services, same indices) remembers the firing group.
        restarted = make_services(
            notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}},
            indices=services.settings.indices.model_dump(),
        )
        for _ in range(6):  # an hour of silence: exactly one recovery
            clock.now = tick
            assert restarted.runner.run(rule, tick) is not None
            tick += STEP
        assert [r.body["kind"] for r in receiver.requests] == ["fired", "recovered"]
        assert restarted.runner.run(rule, tick - STEP) is None  # a tick already run is not run again

    es.indices.refresh(index=services.settings.indices.alerts)
    history = es.search(index=services.settings.indices.alerts, size=10, sort=[{"@timestamp": "asc"}])
    kinds = [
        (h["_source"]["kind"], h["_source"]["group_key"], h["_source"]["notified"]) for h in history["hits"]["hits"]
    ]
    # the first tick realert held back is recorded (once, with its reason), never silently dropped
    assert kinds == [("fired", "G", True), ("suppressed", "G", False), ("recovered", "G", True)]
    reason = history["hits"]["hits"][1]["_source"]["reason"]
    assert reason.startswith("within realert (86400s) of the last notification at ")


def test_acknowledge_and_silence(es: Elasticsearch, make_services: Callable[..., Services], clock: FakeClock) -> None:
    logs = new_logs_index(
        es,
        [doc(T0 + i * STEP - timedelta(minutes=1), error__grouping_key=k) for i in range(4) for k in ("acked", "loud")],
    )
    with http_receiver() as receiver:
        services = make_services(notifiers={"hook": {"type": "webhook", "url": f"{receiver.url}/hook"}})
        rule = services.store.create(
            RuleCreate.model_validate(
                {
                    "name": "ack",
                    "index": logs,
                    "group_by": ["error.grouping_key"],
                    "schedule": {"interval": "10m"},
                    "window": "10m",
                    "condition": {"type": "any"},
                    "realert": "0s",
                    "notify": ["hook"],
                }
            )
        )
        services.runner.run(rule, T0)
        assert services.leases.update(rule.id, lambda state: throttle.acknowledged(state, "acked"))
        services.runner.run(rule, T0 + STEP)
        keys = [r.body["group"]["error.grouping_key"] for r in receiver.requests]
        assert sorted(keys) == ["acked", "loud", "loud"]

        silenced = services.store.replace(rule, rule.model_copy(update={"silenced_until": T0 + 10 * STEP}))
        services.runner.run(silenced, T0 + 2 * STEP)
        assert len(receiver.requests) == 3  # silenced: state advances, nothing sent

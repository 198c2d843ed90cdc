"""Envelope items -> records: datasets, ids that survive a re-send, counts per type."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from grokpipe.envelope import event_id
from grokpipe.shipper.sentry.config import SentryProject
from grokpipe.shipper.sentry.envelope import parse
from grokpipe.shipper.sentry.errors import Malformed, TooLarge
from grokpipe.shipper.sentry.items import Records, normal_id

SHOP = SentryProject(id=1, name="shop", keys=["a" * 32])
BLOG = SentryProject(id=2, name="blog", keys=["b" * 32])
EVENT_ID = "9ec79c33ec9942ab8353589fcb2e04dc"

ENVELOPE = (
    b'{"event_id":"9ec79c33-ec99-42ab-8353-589fcb2e04dc","sdk":{"name":"sentry.python","version":"2.75.0"}}\n'
    b'{"type":"event"}\n{"exception":{"values":[{"type":"ValueError","value":"x"}]}}\n'
    b'{"type":"client_report"}\n{"discarded_events":[]}\n'
    b'{"type":"something_new","length":3}\nabc\n'
    b'{"type":"log","item_count":2}\n{"items":[{"timestamp":1.5,"level":"info","body":"a"},'
    b'{"timestamp":1.5,"level":"info","body":"a"}]}\n'
    b'{"type":"check_in"}\n{"check_in_id":"' + EVENT_ID.encode() + b'","monitor_slug":"nightly","status":"ok"}\n'
    b'{"type":"transaction"}\n{"type":"transaction"}\n'
)


def records(project: SentryProject = SHOP, body: bytes = ENVELOPE) -> list[dict[str, Any]]:
    accepted = Records(host="collector").envelope(project, parse(body))
    return [orjson.loads(value) for _, value in accepted.records]


def test_datasets_counts_and_answer() -> None:
    accepted = Records(host="collector").envelope(SHOP, parse(ENVELOPE))
    assert accepted.event_id == EVENT_ID
    assert accepted.items == {
        "event": 1, "client_report": 1, "something_new": 1, "log": 2, "check_in": 1, "transaction": 1,
    }  # fmt: skip
    events = [orjson.loads(v) for _, v in accepted.records]
    assert [e["event"]["dataset"] for e in events] == ["sentry", "sentry.log", "sentry.log", "sentry.checkin"]
    assert all(e["service"]["name"] == "shop" and e["input"]["type"] == "sentry" for e in events)
    assert events[0]["event"]["id"] == event_id("sentry", 1, EVENT_ID)
    assert events[0]["sentry"]["payload"]["event_id"] == EVENT_ID
    assert events[0]["sentry"]["sdk"] == {"name": "sentry.python", "version": "2.75.0"}


def test_a_resent_envelope_has_the_same_ids_and_another_project_others() -> None:
    first = [e["event"]["id"] for e in records()]
    assert first == [e["event"]["id"] for e in records()]
    assert len(set(first)) == 4  # two identical log records in one item stay two
    assert not set(first) & {e["event"]["id"] for e in records(BLOG)}


def test_store_and_cron() -> None:
    builder = Records(host="collector")
    stored = builder.store(SHOP, b'{"event_id":"' + EVENT_ID.encode() + b'","message":"hi"}')
    assert stored.event_id == EVENT_ID
    minted = builder.store(SHOP, b'{"message":"no id"}')
    assert minted.event_id is not None
    assert normal_id(minted.event_id) == minted.event_id
    cron = builder.cron(SHOP, "backup", {"status": "in_progress", "duration": "3"}, None)
    [event] = [orjson.loads(v) for _, v in cron.records]
    assert event["sentry"]["payload"] == {
        "status": "in_progress", "duration": 3.0, "monitor_slug": "backup", "check_in_id": cron.event_id,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b'{}\n{"type":"event"}\n[1,2]\n', Malformed),
        (b'{}\n{"type":"event"}\nnot json\n', Malformed),
        (b'{}\n{"type":"log"}\n{"items":7}\n', Malformed),
        (b'{}\n{"type":"check_in"}\n{"monitor_slug":"x","status":"sleeping"}\n', Malformed),
        (b'{}\n{"type":"check_in"}\n{"status":"ok"}\n', Malformed),
        (b'{}\n{"type":"check_in"}\n{"monitor_slug":"x","status":"ok","check_in_id":"nope"}\n', Malformed),
        (b'{}\n{"type":"event"}\n{"message":"' + b"x" * 2000 + b'"}\n', TooLarge),
    ],
)
def test_refused_items(body: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        Records(host="collector", event_bytes=1024).envelope(SHOP, parse(body))


@pytest.mark.parametrize(
    ("value", "expected"),
    [(EVENT_ID, EVENT_ID), ("9EC79C33-EC99-42AB-8353-589FCB2E04DC", EVENT_ID), ("x" * 32, None), (7, None), ("", None)],
)
def test_normal_id(value: object, expected: str | None) -> None:
    assert normal_id(value) == expected


def test_record_keys_keep_a_monitor_in_order_and_spread_events() -> None:
    builder = Records(host="collector")
    keys = {k for status in ("ok", "error") for k, _ in builder.cron(SHOP, "backup", {"status": status}, None).records}
    assert keys == {b"shop|backup"}
    events = [builder.store(SHOP, b'{"message":"x"}').records[0][0] for _ in range(2)]
    assert events[0] != events[1]

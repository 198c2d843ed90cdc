"""The real SDKs against the Sentry input: what they send reaches Kafka as grokpipe events."""

from __future__ import annotations

import logging
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import raven
import sentry_sdk
from raven.transport.http import HTTPTransport
from sentry_sdk.crons import monitor
from sentry_sdk.integrations.logging import LoggingIntegration
from support.kafka import consume

from grokpipe.embedded import EmbeddedStack
from grokpipe.envelope import event_id

from .conftest import StartSentry

log = logging.getLogger("shop.checkout")


@contextmanager
def sdk(**options: Any) -> Iterator[None]:
    """``sentry_sdk.init`` for a block; the client is closed (its queue flushed) and unset after it."""
    sentry_sdk.init(**options)
    try:
        yield
    finally:
        sentry_sdk.get_client().close(timeout=10)
        sentry_sdk.get_global_scope().set_client(None)


def checkout(order: str) -> None:
    raise ValueError(f"order {order} has no lines")


def by_dataset(events: list[dict[str, Any]], dataset: str) -> list[dict[str, Any]]:
    return [e for e in events if e["event"]["dataset"] == dataset]


def test_capture_exception_and_logging_integration(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    with sdk(
        dsn=running.dsn,
        default_integrations=False,
        integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)],
        release="shop@1.2.3",
        environment="production",
        server_name="web-1",
    ):
        try:
            checkout("A-17")
        except ValueError:
            sent = sentry_sdk.capture_exception()
        assert sent is not None
        log.error("payment %s declined", "P-9")
    events = by_dataset(consume(stack.kafka_bootstrap, topic, expect=2, idle=1), "sentry")
    assert len(events) == 2
    [exc] = [e for e in events if "exception" in e["sentry"]["payload"]]
    payload = exc["sentry"]["payload"]
    assert payload["event_id"] == sent
    assert exc["event"]["id"] == event_id("sentry", 1, sent)
    assert exc["service"]["name"] == "shop"
    assert payload["release"] == "shop@1.2.3"
    assert payload["exception"]["values"][-1]["type"] == "ValueError"
    assert exc["sentry"]["sdk"]["name"] == "sentry.python"
    [message] = [e for e in events if e is not exc]
    assert message["sentry"]["payload"]["logentry"]["message"] == "payment %s declined"
    assert 'sentry_items_total{input="sentry",type="event"} 2.0' in running.metrics()


def test_enable_logs_makes_one_event_per_record(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    with sdk(dsn=running.dsn, default_integrations=False, enable_logs=True):
        sentry_sdk.logger.info("cart {cart} saved", cart="C-1")
        sentry_sdk.logger.warning("stock low for {sku}", sku="S-2")
    events = by_dataset(consume(stack.kafka_bootstrap, topic, expect=2, idle=1), "sentry.log")
    bodies = sorted(e["sentry"]["payload"]["body"] for e in events)
    assert bodies == ["cart C-1 saved", "stock low for S-2"]
    assert len({e["event"]["id"] for e in events}) == 2
    assert 'sentry_items_total{input="sentry",type="log"} 2.0' in running.metrics()


def test_crons_monitor_checks_in_twice(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    with sdk(dsn=running.dsn, default_integrations=False):

        @monitor(monitor_slug="nightly-report", monitor_config={"schedule": {"type": "crontab", "value": "0 2 * * *"}})
        def nightly() -> None:
            pass

        nightly()
    checkins = by_dataset(consume(stack.kafka_bootstrap, topic, expect=2, idle=1), "sentry.checkin")
    statuses = sorted(e["sentry"]["payload"]["status"] for e in checkins)
    assert statuses == ["in_progress", "ok"]
    assert {e["sentry"]["payload"]["monitor_slug"] for e in checkins} == {"nightly-report"}
    assert len({e["sentry"]["payload"]["check_in_id"] for e in checkins}) == 1


def test_http_cron_check_in(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    url = f"{running.base}/cron/qa-inspection/{running.key}/?status=ok&environment=qa&duration=2.5"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 202
    [checkin] = consume(stack.kafka_bootstrap, topic, expect=1, idle=1)
    assert checkin["event"]["dataset"] == "sentry.checkin"
    assert checkin["sentry"]["payload"]["duration"] == 2.5
    assert checkin["sentry"]["payload"]["environment"] == "qa"


def test_raven_legacy_store_with_deflate(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    client = raven.Client(running.dsn, transport=HTTPTransport, install_sys_hook=False, release="legacy@7")
    try:
        checkout("B-3")
    except ValueError:
        sent = client.captureException()
    [event] = consume(stack.kafka_bootstrap, topic, expect=1, idle=1)
    assert event["event"]["id"] == event_id("sentry", 1, sent)
    assert event["sentry"]["payload"]["release"] == "legacy@7"
    assert event["sentry"]["payload"]["exception"]["values"][-1]["type"] == "ValueError"


@pytest.mark.parametrize("key", ["0" * 32, None])
def test_wrong_or_missing_key_is_refused_and_counted(start_sentry: StartSentry, key: str | None) -> None:
    running = start_sentry()
    headers = {"Content-Type": "application/x-sentry-envelope"}
    if key:
        headers["X-Sentry-Auth"] = f"Sentry sentry_key={key}, sentry_version=7"
    body = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"message":"hi"}\n'
    request = urllib.request.Request(f"{running.base}/envelope/", data=body, headers=headers)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    assert 'sentry_refused_total{input="sentry",reason="forbidden"} 1.0' in running.metrics()

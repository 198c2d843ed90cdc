"""The ``sentry`` pipeline end to end in one process: the shipper's record of a real SDK event ->
the indexer's document (pipeline, then the scrubber)."""

from __future__ import annotations

from typing import Any

import sentry_sdk

from grokpipe.indexer.config import ScrubSettings
from grokpipe.indexer.documents import build
from grokpipe.indexer.pipeline import Router
from grokpipe.indexer.scrub import Scrubber
from grokpipe.shipper.sentry.config import SentryProject
from grokpipe.shipper.sentry.envelope import parse
from grokpipe.shipper.sentry.items import Records

from . import shop
from .payloads import capture

SHOP = SentryProject(id=1, name="shop", keys=["a" * 32])
ROUTER = Router.load()


def document(envelope: bytes) -> dict[str, Any]:
    [(_, value)] = Records(host="collector").envelope(SHOP, parse(envelope)).records
    return build(value, "logs.raw", 0, 0, router=ROUTER, namespace="t", scrubber=Scrubber(ScrubSettings())).source


def event_envelope(payload: bytes) -> bytes:
    return b'{}\n{"type":"event"}\n' + payload + b"\n"


def test_an_sdk_exception_as_ecs() -> None:
    import orjson

    def action() -> None:
        sentry_sdk.set_tag("region", "eu")
        sentry_sdk.set_tag("k8s.pod", "web-7")
        sentry_sdk.set_user({"id": 42, "email": "bob@example.com", "ip_address": "10.1.2.3"})
        sentry_sdk.get_current_scope().set_context("cart", {"items": 3})
        sentry_sdk.add_breadcrumb(message="clicked pay")
        try:
            shop.checkout("A-17")
        except ValueError:
            sentry_sdk.capture_exception()

    payload = capture(
        action, release="shop@1.2.3", environment="production", server_name="web-1", in_app_include=[shop.__name__]
    )
    payload["user"]["ip_address"] = "10.1.2.3"  # the SDK sends it only with send_default_pii
    payload["request"] = {
        "url": "https://shop.example/checkout",
        "method": "post",
        "query_string": "step=2&sentry_secret=s3cr3t",
        "headers": {"User-Agent": "Mozilla/5.0", "Cookie": "sid=abc123"},
    }
    doc = document(event_envelope(orjson.dumps(payload)))
    assert doc["event"]["dataset"] == "sentry"
    assert doc["service"] == {"name": "shop", "environment": "production", "version": "shop@1.2.3"}
    assert doc["host"]["name"] == "web-1"
    assert doc["log"]["level"] == "error"
    assert doc["error"]["type"] == "ValueError"
    assert doc["error"]["message"] == "cannot check out order A-17"
    assert doc["error"]["stack_trace"].startswith("Traceback (most recent call last):")
    assert doc["error"]["culprit"] == f"{shop.__name__} in checkout"
    assert len(doc["error"]["grouping_key"]) == 32
    assert doc["message"] == "ValueError: cannot check out order A-17"
    assert doc["labels"] == {"region": "eu", "k8s_pod": "web-7"}
    assert doc["user"] == {"id": "42", "email": "bob@example.com"}
    assert doc["source"]["ip"] == "10.1.2.3"
    assert doc["http"]["request"]["method"] == "POST"
    assert doc["url"]["path"] == "/checkout"
    assert "s3cr3t" not in str(doc)
    assert "abc123" not in str(doc)
    assert doc["user_agent"]["original"] == "Mozilla/5.0"
    assert doc["sentry"]["sdk"]["name"] == "sentry.python"
    assert doc["sentry"]["extra"]["contexts"]["cart"] == {"items": 3}
    assert doc["sentry"]["extra"]["breadcrumbs"]["values"][0]["message"] == "clicked pay"
    assert "payload" not in doc["sentry"]
    assert doc["event"]["created"] == doc["@timestamp"]


def test_a_log_record_and_a_check_in() -> None:
    log = document(
        b'{"sdk":{"name":"sentry.python","version":"2.75.0"}}\n{"type":"log"}\n{"items":[{"timestamp":1765000000.25,'
        b'"level":"warn","body":"stock low for S-2","trace_id":"abc","attributes":{"sentry.environment":'
        b'{"value":"qa","type":"string"},"sentry.message.template":{"value":"stock low for {sku}","type":"string"},'
        b'"logger.name":{"value":"shop.stock","type":"string"}}}]}\n'
    )
    assert log["event"]["dataset"] == "sentry.log"
    assert log["message"] == "stock low for S-2"
    pattern = log["log"].pop("pattern")  # every indexed event carries its pattern (issue 27)
    assert pattern["template"] == "stock low for S-<*>"
    assert log["log"] == {"level": "warning", "logger": "shop.stock"}
    assert log["@timestamp"] == "2025-12-06T05:46:40.250Z"
    assert log["service"]["environment"] == "qa"
    assert log["trace"]["id"] == "abc"
    assert log["sentry"]["message_template"] == "stock low for {sku}"
    checkin = document(
        b'{}\n{"type":"check_in"}\n{"check_in_id":"9ec79c33ec9942ab8353589fcb2e04dc","monitor_slug":"nightly",'
        b'"status":"error","duration":1.5,"environment":"prod","monitor_config":{"schedule":{"type":"crontab",'
        b'"value":"0 2 * * *"}}}\n'
    )
    assert checkin["event"]["dataset"] == "sentry.checkin"
    assert checkin["sentry"]["checkin"] == {
        "id": "9ec79c33ec9942ab8353589fcb2e04dc", "monitor_slug": "nightly", "status": "error", "duration": 1.5,
    }  # fmt: skip
    assert checkin["event"]["outcome"] == "failure"
    assert checkin["event"]["duration"] == 1_500_000_000
    assert checkin["sentry"]["extra"]["monitor_config"]["schedule"]["value"] == "0 2 * * *"

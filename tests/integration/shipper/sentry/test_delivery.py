"""Delivery: a full spool answers 429 and drains, a kill -9 after a 200 loses nothing, HTTP/1.1 details."""

from __future__ import annotations

import gzip
import http.client
import uuid
from pathlib import Path

import brotli
import orjson
import pytest
import sentry_sdk
import yaml
from support.kafka import consume, new_topic
from support.shipper import ShipperProcess, wait_for, write_config

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.envelope import event_id

from .conftest import StartSentry
from .test_sdks import sdk


def envelope(sentry_id: str, padding: int = 0) -> bytes:
    event = {"event_id": sentry_id, "message": "disk almost full", "level": "error", "extra": {"pad": "x" * padding}}
    return b"%s\n%s\n%s\n" % (orjson.dumps({"event_id": sentry_id}), b'{"type":"event"}', orjson.dumps(event))


def post(port: int, key: str, body: bytes, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request(
        "POST",
        "/api/1/envelope/",
        body,
        {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7", **(headers or {})},
    )
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


@pytest.mark.slow
def test_a_full_spool_answers_429_then_drains(own_stack: EmbeddedStack, start_sentry: StartSentry) -> None:
    """Kafka away: the spool fills, the input answers 429 (the SDK backs off on it); Kafka back: the
    spool drains, everything answered 200 arrives, and the SDK's next event too."""
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    running = start_sentry(
        bootstrap_stack=stack,
        topic_name=topic,
        shipper_options={"publisher": {"delivery_timeout_ms": 3000}},
        spool={"max_bytes": 1024 * 1024},
        retry_after=2,
    )
    accepted: list[str] = []
    stack.stop_service("kafka")
    try:
        refused = None
        for padding in (100_000, 0):  # large envelopes until one is refused, then small ones
            for _ in range(1000):
                sentry_id = uuid.uuid4().hex
                response = post(running.port, running.key, envelope(sentry_id, padding=padding))
                if response.status != 200:
                    refused = response
                    break
                accepted.append(sentry_id)
        assert refused is not None
        assert refused.status == 429
        assert refused.headers["Retry-After"] == "2"
        assert refused.headers["X-Sentry-Rate-Limits"] == "2::key:spool_full"
        with sdk(dsn=running.dsn, default_integrations=False):
            sentry_sdk.capture_message("while the spool is full")  # answered 429: the SDK drops it and waits
        assert 'sentry_refused_total{input="sentry",reason="spool_full"} 3.0' in running.metrics()
    finally:
        stack.start_service("kafka")
    health = running.shipper.health
    assert wait_for(lambda: health()["inputs"]["sentry:sentry"]["spool"]["depth"] == 0, timeout=180)
    assert wait_for(lambda: post(running.port, running.key, envelope(uuid.uuid4().hex)).status == 200, timeout=30)
    with sdk(dsn=running.dsn, default_integrations=False):
        late = sentry_sdk.capture_message("after the spool drained")
    assert late is not None
    events = consume(stack.kafka_bootstrap, topic, expect=len(accepted) + 2, timeout=120)
    ids = {e["event"]["id"] for e in events}
    assert {event_id("sentry", 1, i) for i in accepted} <= ids
    assert event_id("sentry", 1, late) in ids


@pytest.mark.slow
def test_kill_9_after_a_200_loses_nothing(own_stack: EmbeddedStack, data_dir: Path, tmp_path: Path) -> None:
    """Events answered 200 while Kafka is away are in the spool: a kill -9 of the shipper, then Kafka
    and the shipper back, and every one of them reaches Kafka."""
    stack, topic = own_stack, new_topic(own_stack.kafka_bootstrap)
    port, key = free_port(), uuid.uuid4().hex
    spec = {"type": "sentry", "listen": f"127.0.0.1:{port}", "projects": [{"id": 1, "name": "shop", "keys": [key]}]}
    config = write_config(tmp_path / "shipper.yml", stack, topic, data_dir, [spec])
    assert yaml.safe_load(config.read_text())["inputs"][0]["type"] == "sentry"
    shipper = ShipperProcess(config, tmp_path / "shipper.log")
    ids = [uuid.uuid4().hex for _ in range(20)]
    stack.stop_service("kafka")
    shipper.start()
    try:
        assert wait_for(lambda: _answers(port, key), timeout=60)
        for sentry_id in ids:
            assert post(port, key, envelope(sentry_id)).status == 200
        shipper.kill()
        stack.start_service("kafka")
        shipper.start()  # replays the spool
        events = consume(stack.kafka_bootstrap, topic, expect=len(ids) + 1, timeout=120, idle=5)
    finally:
        if not stack.kafka_up():
            stack.start_service("kafka")
        shipper.stop()
    assert {event_id("sentry", 1, i) for i in ids} <= {e["event"]["id"] for e in events}


def _answers(port: int, key: str) -> bool:
    try:
        return post(port, key, envelope("0" * 32)).status == 200
    except OSError:
        return False


def test_chunked_brotli_and_keep_alive(stack: EmbeddedStack, topic: str, start_sentry: StartSentry) -> None:
    running = start_sentry()
    ids = [uuid.uuid4().hex for _ in range(3)]
    conn = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    auth = {"X-Sentry-Auth": f"Sentry sentry_key={running.key}, sentry_version=7"}
    try:
        # no Content-Length: a chunked body, as @sentry/node streams it; and no Content-Type at all
        conn.request(
            "POST", "/api/1/envelope/", iter([envelope(ids[0])[:10], envelope(ids[0])[10:]]), auth, encode_chunked=True
        )
        first = conn.getresponse()
        assert (first.status, orjson.loads(first.read())) == (200, {"id": ids[0]})
        conn.request("POST", "/api/1/envelope/", brotli.compress(envelope(ids[1])), {**auth, "Content-Encoding": "br"})
        second = conn.getresponse()
        assert (second.status, orjson.loads(second.read())) == (200, {"id": ids[1]})
        conn.request("POST", "/api/1/envelope/", gzip.compress(envelope(ids[2])), {**auth, "Content-Encoding": "gzip"})
        third = conn.getresponse()
        assert third.status == 200
        third.read()
    finally:
        conn.close()
    events = consume(stack.kafka_bootstrap, topic, expect=3, idle=1)
    assert sorted(e["event"]["id"] for e in events) == sorted(event_id("sentry", 1, i) for i in ids)


def test_a_body_over_the_limit_is_413(start_sentry: StartSentry) -> None:
    running = start_sentry(limits={"body_bytes": 4096})
    assert post(running.port, running.key, envelope(uuid.uuid4().hex, padding=8192)).status == 413
    assert post(running.port, running.key, envelope(uuid.uuid4().hex)).status == 200


def test_connections_past_max_connections_are_closed(start_sentry: StartSentry) -> None:
    running = start_sentry(max_connections=1)
    held = http.client.HTTPConnection("127.0.0.1", running.port, timeout=30)
    try:
        held.request("POST", "/api/1/envelope/", envelope(uuid.uuid4().hex), {
            "X-Sentry-Auth": f"Sentry sentry_key={running.key}, sentry_version=7"})  # fmt: skip
        first = held.getresponse()
        first.read()
        assert first.status == 200  # this keep-alive connection holds the only slot
        with pytest.raises((ConnectionError, http.client.HTTPException)):
            post(running.port, running.key, envelope(uuid.uuid4().hex))
        assert running.shipper.health()["inputs"]["sentry:sentry"]["connections_refused"] == 1
    finally:
        held.close()
    assert wait_for(lambda: _answers(running.port, running.key), timeout=30)

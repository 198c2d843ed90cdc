"""A Sentry SDK pointed at grokpipe, end to end: sentry-sdk -> shipper (Sentry input) -> Kafka -> indexer
-> Elasticsearch -> the api's error groups. The same exception with other ids in its message is one
group with the exact count; a re-sent envelope is one document; an event answered 200 survives a
kill -9 of the shipper."""

from __future__ import annotations

import http.client
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import pytest
import sentry_sdk
import yaml
from elasticsearch import Elasticsearch
from support import indexer as support
from support.api import fresh_indices, wait_healthy
from support.process import start_service
from support.shipper import ShipperProcess, wait_for, write_config

from grokpipe.embedded import EmbeddedStack, free_port
from grokpipe.envelope import event_id

ROOT = Path(__file__).parents[2]


def checkout(order: str) -> None:
    raise ValueError(f"order {order} has no lines")


@pytest.fixture
def stack(own_stack: EmbeddedStack) -> EmbeddedStack:
    return own_stack


@pytest.fixture
def es(stack: EmbeddedStack) -> Iterator[Elasticsearch]:
    client = Elasticsearch(stack.elasticsearch_url)
    yield client
    client.close()


def post(port: int, key: str, body: bytes) -> int:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("POST", "/api/1/envelope/", body, {"X-Sentry-Auth": f"Sentry sentry_key={key}, sentry_version=7"})
        response = conn.getresponse()
        response.read()
        return response.status
    finally:
        conn.close()


def envelope(sentry_id: str, message: str) -> bytes:
    event = {"event_id": sentry_id, "platform": "python", "level": "error", "logentry": {"message": message}}
    return b'{"event_id":"%s"}\n{"type":"event"}\n%s\n' % (sentry_id.encode(), orjson.dumps(event))


def docs(es: Elasticsearch, ns: str, query: dict[str, object]) -> list[dict[str, object]]:
    es.indices.refresh(index=f"logs-*-{ns}", ignore_unavailable=True, allow_no_indices=True)
    found = es.search(index=f"logs-*-{ns}", query=query, size=100)["hits"]["hits"]
    return [h["_source"] for h in found]


@pytest.mark.slow
def test_sentry_sdk_to_error_groups(stack: EmbeddedStack, topic: str, tmp_path: Path, es: Elasticsearch) -> None:
    ns, key, port = support.namespace(), uuid.uuid4().hex, free_port()
    spec = {"type": "sentry", "listen": f"127.0.0.1:{port}", "projects": [{"id": 1, "name": "shop", "keys": [key]}]}
    shipper = ShipperProcess(
        write_config(tmp_path / "shipper.yml", stack, topic, tmp_path / "data", [spec]), tmp_path / "s.log"
    )
    indexer = support.IndexerProcess(
        support.write_config(tmp_path / "indexer.yml", stack, topic, ns), tmp_path / "i.log"
    )
    api_port = free_port()
    api_config = yaml.safe_load((ROOT / "examples" / "api.yml").read_text())
    api_config["notifiers"]["local-sink"]["url"] = f"http://127.0.0.1:{api_port}/sink/webhook"
    api_config["indices"] = fresh_indices(uuid.uuid4().hex[:8])
    api_config["errors"] |= {"index": f"logs-*-{ns}", "sync_interval": 1, "settle": 2}
    api_config.pop("rules_seed", None)
    (tmp_path / "api.yml").write_text(yaml.safe_dump(api_config))
    env = os.environ | {
        "GROKPIPE_ELASTICSEARCH__HOSTS": stack.elasticsearch_url,
        "GROKPIPE_HTTP__LISTEN": f"127.0.0.1:{api_port}",
    }
    shipper.start()
    indexer.start()
    api = start_service("api", tmp_path / "api.yml", tmp_path, env, tmp_path / "a.log")
    try:
        assert wait_for(lambda: _answers(port, key), timeout=60)
        sentry_sdk.init(dsn=f"http://{key}@127.0.0.1:{port}/1", default_integrations=False, release="shop@1.0")
        try:
            sent: list[str] = []
            for order in ("A-1", "B-22", "C-333", "D-4444", "E-55555"):
                try:
                    checkout(order)
                except ValueError:
                    captured = sentry_sdk.capture_exception()
                    assert captured is not None
                    sent.append(captured)
        finally:
            sentry_sdk.get_client().close(timeout=10)
            sentry_sdk.get_global_scope().set_client(None)
        resent = uuid.uuid4().hex
        assert post(port, key, envelope(resent, "cache %s cold")) == 200
        assert post(port, key, envelope(resent, "cache %s cold")) == 200  # an SDK or proxy re-sends

        # kill -9 after a 200, with Kafka away so that only the spool holds the event
        stack.stop_service("kafka")
        survivor = uuid.uuid4().hex
        assert post(port, key, envelope(survivor, "survives %s")) == 200
        shipper.kill()
        stack.start_service("kafka")
        shipper.start()

        ids = [event_id("sentry", 1, s) for s in [*sent, resent, survivor]]
        assert wait_for(lambda: len(docs(es, ns, {"terms": {"event.id": ids}})) == 7, timeout=180)
        exceptions = docs(es, ns, {"terms": {"event.id": ids[:5]}})
        assert {d["error"]["grouping_key"] for d in exceptions} == {exceptions[0]["error"]["grouping_key"]}  # type: ignore[index]
        group_key = exceptions[0]["error"]["grouping_key"]  # type: ignore[index]
        assert exceptions[0]["error"]["culprit"] == f"{__name__} in checkout"  # type: ignore[index]
        assert len(docs(es, ns, {"term": {"event.id": ids[5]}})) == 1

        url = f"http://127.0.0.1:{api_port}"
        wait_healthy(url, timeout=90)
        admin = {"X-API-Key": "dev-admin-key"}

        def group() -> dict[str, object] | None:
            page = httpx.get(f"{url}/errors", headers=admin, params={"dataset": "sentry"}, timeout=30).json()
            return next((g for g in page["items"] if g["id"] == group_key), None)

        assert wait_for(lambda: (found := group()) is not None and found["total"] == 5, timeout=90)
    finally:
        api.terminate()
        api.wait(60)
        if not stack.kafka_up():
            stack.start_service("kafka")
        indexer.stop()
        shipper.stop()


def _answers(port: int, key: str) -> bool:
    try:
        return post(port, key, b"{}\n") == 200
    except OSError:
        return False

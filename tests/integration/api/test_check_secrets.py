"""Check secrets at rest on noida-db: sealed in the checks index, opened for runs, re-sealed at start
after a key rotation, and a check whose key is gone fails its runs and refuses to lose its secrets."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet, InvalidToken
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, api_settings, fresh_indices, serve

from grokpipe.api.app import create_app
from grokpipe.api.checks.sealing import generate_key
from grokpipe.embedded import EmbeddedStack

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
TOKEN = "tok-5ealed-at-rest"


class _Target(BaseHTTPRequestHandler):
    """200 only for the right bearer token: a run that passes was given the opened secret."""

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
        self.send_response(200 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()


@pytest.fixture(scope="module")
def target() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Target)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture
def indices() -> dict[str, str]:
    return fresh_indices(uuid.uuid4().hex[:8])


@contextmanager
def api(stack: EmbeddedStack, indices: dict[str, str], keys: list[str]) -> Iterator[httpx.Client]:
    """The api with ``checks.secrets_keys: keys`` on the test's indices (started anew: keys are read at start)."""
    checks = {"namespace": "t" + indices["checks"].rsplit("-", 1)[1], "secrets_keys": keys}
    app = create_app(api_settings(stack, indices=indices, checks=checks))
    with serve(app) as url, httpx.Client(base_url=url, timeout=30, headers=ADMIN) as client:
        yield client


def stored(es: Elasticsearch, indices: dict[str, str], check_id: str) -> dict[str, Any]:
    return dict(es.get(index=indices["checks"], id=check_id)["_source"])


def opens(key: str, document: dict[str, Any]) -> bool:
    try:
        return Fernet(key).decrypt(document["secrets"]["token"]["sealed"]) == TOKEN.encode()
    except InvalidToken:
        return False


def body(target: str) -> dict[str, Any]:
    return {
        "name": "bearer",
        "secrets": {"token": TOKEN},
        "steps": [
            {
                "name": "call",
                "request": {"url": target, "headers": {"Authorization": "Bearer {{ secrets.token }}"}},
                "assert": ["[STATUS] == 200"],
            }
        ],
    }


def run(client: httpx.Client, check_id: str) -> dict[str, Any]:
    response = client.post(f"/checks/{check_id}/run")
    assert response.status_code == 200, response.text
    return dict(response.json())


def test_secrets_are_sealed_in_elasticsearch_and_opened_for_runs(
    stack: EmbeddedStack, es: Elasticsearch, indices: dict[str, str], target: str
) -> None:
    key = generate_key()
    with api(stack, indices, [key]) as client:
        check = client.post("/checks", json=body(target)).json()
        assert run(client, check["id"])["status"] == "up"
        renamed = client.patch(f"/checks/{check['id']}", json={"name": "renamed"})
        assert renamed.status_code == 200, renamed.text
        assert run(client, check["id"])["status"] == "up"
    document = stored(es, indices, check["id"])
    assert TOKEN not in json.dumps(document)
    assert opens(key, document)


def test_a_rotated_key_reseals_every_check_at_start(
    stack: EmbeddedStack, es: Elasticsearch, indices: dict[str, str], target: str
) -> None:
    old, new = generate_key(), generate_key()
    with api(stack, indices, []) as client:  # before keys were set: stored as plain text
        check_id = client.post("/checks", json=body(target)).json()["id"]
    assert stored(es, indices, check_id)["secrets"] == {"token": TOKEN}
    with api(stack, indices, [old]) as client:
        assert run(client, check_id)["status"] == "up"
    assert opens(old, stored(es, indices, check_id))
    with api(stack, indices, [new, old]) as client:
        assert run(client, check_id)["status"] == "up"
    document = stored(es, indices, check_id)
    assert opens(new, document)
    assert not opens(old, document)
    with api(stack, indices, [new]) as client:  # the old key is gone: nothing needed it any more
        assert run(client, check_id)["status"] == "up"


def test_a_check_whose_key_is_gone_fails_its_runs_and_keeps_its_secrets(
    stack: EmbeddedStack, es: Elasticsearch, indices: dict[str, str], target: str
) -> None:
    lost, other = generate_key(), generate_key()
    with api(stack, indices, [lost]) as client:
        check_id = client.post("/checks", json=body(target)).json()["id"]
    sealed = stored(es, indices, check_id)["secrets"]
    with api(stack, indices, [other]) as client:
        assert client.get(f"/checks/{check_id}", headers=READ).json()["secret_names"] == ["token"]
        result = run(client, check_id)
        assert (result["status"], result["down"]) == ("down", 1)
        assert result["rows"][0]["error"].startswith("secrets token cannot be opened")
        silenced = client.patch(f"/checks/{check_id}", json={"enabled": False})  # a PATCH without secrets
        assert silenced.status_code == 200, silenced.text
        assert silenced.json()["secret_names"] == ["token"]
        assert stored(es, indices, check_id)["secrets"] == sealed  # kept as stored, not dropped
    with api(stack, indices, [other, lost]) as client:  # the key is back: re-sealed under the first at start
        assert run(client, check_id)["status"] == "up"
        assert opens(other, stored(es, indices, check_id))
        replaced = client.patch(f"/checks/{check_id}", json={"secrets": {"token": "new"}})  # sets secrets: replaced
        assert replaced.status_code == 200, replaced.text
        assert run(client, check_id)["status"] == "down"  # the target wants the old token

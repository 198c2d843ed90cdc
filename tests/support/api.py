"""Helpers for the api tests: a real HTTP receiver (checks DingTalk signatures), a real SMTP server,
an injectable clock, and a logs index with known documents."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import socket
import subprocess
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from elasticsearch import Elasticsearch, helpers

from grokpipe.api.config import ApiSettings
from grokpipe.api.kernel.settings import IndicesSettings

LOGS_MAPPING: dict[str, Any] = {
    "properties": {
        "@timestamp": {"type": "date"},
        "message": {"type": "text"},
        "event": {
            "properties": {"dataset": {"type": "keyword"}, "id": {"type": "keyword"}, "ingested": {"type": "date"}}
        },
        "log": {
            "properties": {
                "level": {"type": "keyword"},
                "pattern": {"properties": {"key": {"type": "keyword"}, "template": {"type": "keyword"}}},
                "origin": {
                    "properties": {"file": {"properties": {"name": {"type": "keyword"}, "line": {"type": "long"}}}}
                },
            }
        },
        "error": {
            "properties": {
                "type": {"type": "keyword"},
                "message": {"type": "text"},
                "grouping_key": {"type": "keyword"},
                "title": {"type": "keyword"},
                "culprit": {"type": "keyword"},
            }
        },
        "http": {"properties": {"response": {"properties": {"status_code": {"type": "long"}}}}},
        "source": {"properties": {"ip": {"type": "ip"}}},
        "host": {"properties": {"name": {"type": "keyword"}}},
        "url": {"properties": {"original": {"type": "keyword"}}},
        "duration": {"type": "double"},
    }
}

T0 = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)


class FakeClock:
    """Injectable clock: tests move time instead of sleeping."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def new_logs_index(es: Elasticsearch, docs: list[dict[str, Any]]) -> str:
    """A fresh ``logs-apitest-<id>`` index with the ECS subset above, holding ``docs`` (refreshed)."""
    name = f"logs-apitest-{uuid.uuid4().hex[:10]}"
    es.indices.create(index=name, mappings=LOGS_MAPPING)
    if docs:
        actions = [{"_index": name, "_id": d.pop("_id", None) or uuid.uuid4().hex, "_source": d} for d in docs]
        helpers.bulk(es, actions, refresh=True)
    return name


def doc(at: datetime, **fields: Any) -> dict[str, Any]:
    """A document with dotted keys expanded (``error__type`` → ``error.type``)."""
    out: dict[str, Any] = {"@timestamp": at.isoformat()}
    for key, value in fields.items():
        node = out
        parts = key.split("__")
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value
    return out


@dataclass
class Received:
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: dict[str, Any]


@dataclass
class Receiver:
    """A local HTTP server recording every POST; ``/dingtalk`` verifies the signature like DingTalk."""

    url: str
    secret: str
    requests: list[Received] = field(default_factory=list)
    fail_next: int = 0


@contextmanager
def http_receiver(secret: str = "dingtalk-secret") -> Iterator[Receiver]:
    receiver = Receiver(url="", secret=secret)
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            with lock:
                if receiver.fail_next > 0:
                    receiver.fail_next -= 1
                    self._answer(503, {"error": "try later"})
                    return
                receiver.requests.append(Received(parsed.path, query, dict(self.headers), body))
            if parsed.path == "/dingtalk":
                self._answer(200, _dingtalk_verdict(receiver.secret, query, body))
            elif parsed.path.startswith(FEISHU_HOOK):
                self._answer(200, _feishu_verdict(receiver.secret, body))
            else:
                self._answer(200, {"ok": True})

        def _answer(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


def _dingtalk_verdict(secret: str, query: dict[str, str], body: dict[str, Any]) -> dict[str, Any]:
    """DingTalk's server-side checks: signature over ``timestamp\\nsecret``, markdown shape."""
    ts = query.get("timestamp", "")
    expected = base64.b64encode(hmac.new(secret.encode(), f"{ts}\n{secret}".encode(), hashlib.sha256).digest())
    if not ts or query.get("sign", "").encode() != expected:
        return {"errcode": 310000, "errmsg": "sign not match"}
    md = body.get("markdown", {})
    if body.get("msgtype") != "markdown" or not md.get("title") or not md.get("text"):
        return {"errcode": 40035, "errmsg": "bad payload"}
    return {"errcode": 0, "errmsg": "ok"}


FEISHU_HOOK = "/open-apis/bot/v2/hook/"


def _feishu_verdict(secret: str, body: dict[str, Any]) -> dict[str, Any]:
    """Feishu's server-side checks: ``sign`` in the body is base64(HMAC-SHA256 keyed with ``timestamp\nsecret``
    over nothing), the timestamp (seconds) within an hour of now; an ``interactive`` card with a header."""
    ts = str(body.get("timestamp", ""))
    key = f"{ts}\n{secret}".encode()
    expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    fresh = ts.isdigit() and abs(time.time() - int(ts)) < 3600
    if not fresh or body.get("sign") != expected:
        return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour from current time"}
    card = body.get("card", {})
    if body.get("msg_type") != "interactive" or not card.get("header") or not card.get("elements"):
        return {"code": 9499, "msg": "Bad Request"}
    return {"code": 0, "msg": "success", "data": {}}


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []
        self.auth: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@dataclass
class SmtpServer:
    host: str
    port: int
    mailbox: _Mailbox


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def smtp_server() -> Iterator[SmtpServer]:
    """A real aiosmtpd server on a free port."""
    mailbox = _Mailbox()
    port = free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, mailbox)
    finally:
        controller.stop()


@contextmanager
def serve(app: Any) -> Iterator[str]:
    """Run ``app`` on a real uvicorn server on a free port (in a thread); yield its base URL."""
    import time

    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)


ADMIN_KEY = "admin-key-0123456789"
READ_KEY = "read-key-0123456789"


def wait_healthy(url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 60.0) -> None:
    """Until ``url``/healthz answers 200; fails at once if ``proc`` (the api's process) exits first."""
    import time

    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the api at {url} exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/healthz").status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url} never became healthy")


def fresh_indices(suffix: str) -> dict[str, str]:
    """Every index the api uses, named for ``suffix``: an api started on the shared test server then sees
    no rule, check or digest another test left in the default ``grokpipe-*`` indices."""
    return {name: f"{default}-{suffix}" for name, default in IndicesSettings().model_dump().items()}


def api_settings(stack: Any, **overrides: Any) -> ApiSettings:
    """Settings with fresh ``grokpipe-*`` index names, so tests never see each other's rules."""
    suffix = uuid.uuid4().hex[:8]
    data: dict[str, Any] = {
        "elasticsearch": {"hosts": [stack.elasticsearch_url]},
        "auth": {"admin_keys": [ADMIN_KEY], "read_keys": [READ_KEY]},
        "indices": fresh_indices(suffix),
        "checks": {"namespace": f"t{suffix}"},
        "delivery": {"timeout": 5, "retries": 2, "backoff": 0.01},
        "scheduler": {"enabled": False},
    }
    data.update(overrides)
    return ApiSettings.model_validate(data)

"""Checks on a real noida-db against a real local metered HTTP service (login, usage counter that can be
told to skip or double count, a failing mode): a matrix check passes, then fails for the right row with
the right reason, alerts once (signed DingTalk receiver + real SMTP), recovers once; results are
Heartbeat-like documents in synthetics-http-<namespace>; the report e-mail marks the failed row."""

from __future__ import annotations

import email.message
import json
import threading
import time
import urllib.parse
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, Receiver, SmtpServer, http_receiver, serve, smtp_server

from grokpipe.api.app import create_app
from grokpipe.api.checks.results import data_stream
from grokpipe.api.services import Services

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
PASSWORD = "pw-metering-s3cr3t"


@dataclass
class Metering:
    """The service under test: per service, ``step`` is how much one call adds (1; 0 skips, 2 doubles)."""

    url: str = ""
    counts: Counter[str] = field(default_factory=Counter)
    step: dict[str, int] = field(default_factory=dict)
    failing: set[str] = field(default_factory=set)
    usage_html: bool = False
    delay: float = 0.0
    sessions: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)

    def normal(self) -> None:
        self.step.clear()
        self.failing.clear()
        self.usage_html = False
        self.delay = 0.0


@contextmanager
def metering_service() -> Iterator[Metering]:
    service = Metering()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _answer(self, status: int, payload: Any, content_type: str = "application/json") -> None:
            data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _sid(self) -> str | None:
            cookie = self.headers.get("Cookie", "")
            return next((p.split("=", 1)[1] for p in cookie.split("; ") if p.startswith("sid=")), None)

        def do_POST(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if service.delay:
                time.sleep(service.delay)
            if parsed.path == "/login":
                if body.get("password") != PASSWORD:
                    self._answer(200, {"code": 1, "message": "wrong password"})
                    return
                sid = uuid.uuid4().hex
                with lock:
                    service.sessions.add(sid)
                self._answer(200, {"code": 0, "data": {"ssoSessionId": sid}})
                return
            name = parsed.path.rsplit("/", 1)[-1]
            with lock:
                service.calls[name] += 1
                if name in service.failing:
                    self._answer(500, {"code": 500, "message": "engine unavailable"})
                    return
                service.counts[name] += service.step.get(name, 1)
            self._answer(200, {"code": 0, "data": {"text": body.get("text")}})

        def do_GET(self) -> None:
            parsed = urllib.parse.urlparse(self.path)
            query = dict(urllib.parse.parse_qsl(parsed.query))
            if self._sid() not in service.sessions:
                self._answer(401, {"code": 401, "message": "log in"})
                return
            if service.usage_html:
                self._answer(200, "<html>maintenance</html>", "text/html")
                return
            with lock:
                self._answer(200, {"code": 0, "data": {"usedCount": service.counts[query.get("biz", "")]}})

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    service.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()


def metering_check(url: str, **over: Any) -> dict[str, Any]:
    usage = {"url": url + "/usage?biz={{ matrix.service }}", "headers": {"Cookie": "sid={{ context.session }}"}}
    body: dict[str, Any] = {
        "name": "open platform metering",
        "schedule": {"interval": "5m"},
        "matrix": {"service": ["iat", "tts"]},
        "secrets": {"password": PASSWORD},
        "steps": [
            {
                "name": "login",
                "request": {
                    "method": "POST",
                    "url": url + "/login",
                    "json": {"user": "qa", "password": "{{ secrets.password }}"},
                },
                "assert": ["[BODY].code == 0"],
                "store": {"session": "[BODY].data.ssoSessionId"},
            },
            {"name": "before", "request": usage, "store": {"before": "[BODY].data.usedCount"}},
            {
                "name": "call",
                "request": {
                    "method": "POST",
                    "url": url + "/api/{{ matrix.service }}",
                    "json": {"text": "hello"},
                    "timeout": "5s",
                },
                "assert": ["[STATUS] == 200", "[RESPONSE_TIME] < 2000", "[BODY].code == 0"],
            },
            {"wait": "30s"},
            {
                "name": "after",
                "request": usage,
                "assert": ["[BODY].data.usedCount == [CONTEXT].before + 1"],
                "store": {"after": "[BODY].data.usedCount"},
            },
        ],
        "notify": ["ding", "mail"],
        "failure_threshold": 2,
        "success_threshold": 2,
    }
    return body | over


REPORT_COLUMNS = [
    {"title": "service", "source": "matrix.service"},
    {"title": "count before", "source": "stored.before", "missing": "count failed"},
    {"title": "count after", "source": "stored.after", "missing": "count failed"},
    {"title": "metered OK", "source": "step.after"},
    {"title": "call OK", "source": "step.call"},
]


@dataclass
class Stack:
    client: httpx.Client
    services: Services
    service: Metering
    receiver: Receiver
    smtp: SmtpServer
    clock: FakeClock
    slept: list[float]


@pytest.fixture
def stack_up(make_services: Any, clock: FakeClock) -> Iterator[Stack]:
    with metering_service() as service, http_receiver(secret="SECchecks") as receiver, smtp_server() as smtp:
        services: Services = make_services(
            notifiers={
                "ding": {"type": "dingtalk", "url": f"{receiver.url}/dingtalk", "secret": "SECchecks"},
                "mail": {"type": "email", "host": smtp.host, "port": smtp.port, "sender": "qa@x", "to": ["team@x"]},
            },
        )
        app = create_app(services.settings, clock=clock, scheduler=False)
        with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
            live: Services = app.state.services
            slept: list[float] = []

            def sleep(seconds: float) -> None:  # a wait step moves the fake clock, never the test
                slept.append(seconds)

            live.checks.runner.sleep = sleep
            yield Stack(client, live, service, receiver, smtp, clock, slept)


def _run(stack: Stack, check_id: str) -> dict[str, Any]:
    stack.clock.advance(timedelta(minutes=5))
    response = stack.client.post(f"/checks/{check_id}/run", headers=ADMIN)
    assert response.status_code == 200, response.text
    run: dict[str, Any] = response.json()
    return run


def _rows(run: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["row_key"]: r for r in run["rows"]}


def test_matrix_check_fails_for_the_right_row_alerts_once_recovers_once(stack_up: Stack, es: Elasticsearch) -> None:
    s = stack_up
    created = s.client.post("/checks", headers=ADMIN, json=metering_check(s.service.url))
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]

    first = _run(s, check_id)
    assert first["status"] == "up", first
    rows = _rows(first)
    assert set(rows) == {"service=iat", "service=tts"}
    steps = [(st["name"], st["status"]) for st in rows["service=tts"]["steps"]]
    assert steps == [
        ("login", "passed"),
        ("before", "passed"),
        ("call", "passed"),
        ("wait", "passed"),
        ("after", "passed"),
    ]
    assert rows["service=tts"]["stored"]["before"] == 0
    assert rows["service=tts"]["stored"]["after"] == 1
    assert s.slept == [30.0, 30.0]  # one wait per row, on the injected sleep

    s.service.step["tts"] = 2  # tts now meters a call twice
    second = _run(s, check_id)
    rows = _rows(second)
    assert (rows["service=iat"]["status"], rows["service=tts"]["status"]) == ("up", "down")
    assert rows["service=tts"]["error"] == "after: assert [BODY].data.usedCount == [CONTEXT].before + 1: 3 == 2"
    assert second["alerts"] == []  # failure_threshold 2: one failed run is not an alert yet

    third = _run(s, check_id)
    assert [a["kind"] for a in third["alerts"]] == ["fired"]
    assert {n: o["outcome"] for n, o in third["alerts"][0]["notifications"].items()} == {"ding": "sent", "mail": "sent"}
    assert _run(s, check_id)["alerts"] == []  # still down: no realert within the hour

    s.service.normal()
    assert _run(s, check_id)["alerts"] == []  # success_threshold 2
    recovered = _run(s, check_id)
    assert [a["kind"] for a in recovered["alerts"]] == ["recovered"]
    assert _run(s, check_id)["alerts"] == []

    dings = [r.body["markdown"] for r in s.receiver.requests if r.path == "/dingtalk"]
    assert [d["title"].split("]")[0] for d in dings] == ["[DOWN", "[RECOVERED"]
    assert "service=tts" in dings[0]["text"]
    assert "3 == 2" in dings[0]["text"] or "5 == 4" in dings[0]["text"]
    subjects = [m["Subject"] for m in s.smtp.mailbox.messages]
    assert subjects == ["[DOWN] open platform metering: 1 of 2 failed", "[RECOVERED] open platform metering"]

    # history: one document per run and row, newest first, Heartbeat's names
    history = s.client.get(f"/checks/{check_id}/runs", headers=READ, params={"limit": 4}).json()
    assert history["total"] == 14
    assert len(history["items"]) == 4
    index = data_stream(s.services.settings.checks.namespace)
    found = es.search(
        index=index,
        query={"bool": {"filter": [{"term": {"monitor.id": check_id}}, {"term": {"monitor.status": "down"}}]}},
        size=50,
    )["hits"]
    assert found["total"]["value"] == 3  # tts in runs 2, 3, 4
    doc = found["hits"][0]["_source"]
    assert doc["monitor"]["type"] == "http"
    assert doc["monitor"]["duration"]["us"] > 0
    assert doc["summary"] == {"up": 0, "down": 1}
    assert doc["url"]["full"].endswith("/usage?biz=tts")
    assert doc["http"]["response"]["status_code"] == 200
    assert doc["error"]["message"].startswith("after: assert [BODY].data.usedCount")
    assert doc["data_stream"] == {
        "type": "synthetics",
        "dataset": "http",
        "namespace": s.services.settings.checks.namespace,
    }
    assert doc["check"]["values"]["after"] == doc["check"]["values"]["before"] + 2
    every = json.dumps(es.search(index=index, size=100)["hits"])
    assert PASSWORD not in every  # the login body echoes nothing, and requests are redacted


def test_store_failures_skip_the_steps_that_need_the_value(stack_up: Stack) -> None:
    s = stack_up
    check_id = s.client.post("/checks", headers=ADMIN, json=metering_check(s.service.url)).json()["id"]

    s.service.usage_html = True  # the counter answers HTML: "count failed"
    rows = _rows(_run(s, check_id))
    tts = {st["name"]: st for st in rows["service=tts"]["steps"]}
    assert tts["before"]["status"] == "failed"
    assert tts["before"]["error"] == "store before: the response body is not JSON"
    assert tts["call"]["status"] == "passed"  # does not need the counter
    assert tts["after"]["status"] == "skipped"
    assert tts["after"]["error"] == "skipped: context.before was not stored by step 'before'"
    assert rows["service=tts"]["status"] == "down"

    s.service.normal()
    bad = metering_check(s.service.url, secrets={"password": "wrong"})
    assert s.client.put(f"/checks/{check_id}", headers=ADMIN, json=bad).status_code == 200
    tts = {st["name"]: st for st in _rows(_run(s, check_id))["service=tts"]["steps"]}
    assert tts["login"]["error"] == (
        "assert [BODY].code == 0: 1 == 0; store session: [BODY].data.ssoSessionId is not in the response"
    )
    assert [tts[n]["status"] for n in ("before", "call", "after")] == ["skipped", "passed", "skipped"]

    dead = metering_check("http://127.0.0.1:9")  # nothing listens on the discard port
    preview = s.client.post("/checks/preview", headers=ADMIN, json=dead).json()
    login = preview["rows"][0]["steps"][0]
    assert login["status"] == "failed"
    assert login["error"].startswith("ConnectError")
    assert login["error"].endswith("store session: no response")
    assert s.client.get(f"/checks/{check_id}/runs", headers=READ).json()["total"] == 4  # preview stores nothing


def test_report_email_marks_the_failed_row(stack_up: Stack) -> None:
    s = stack_up
    check_id = s.client.post("/checks", headers=ADMIN, json=metering_check(s.service.url)).json()["id"]
    s.service.failing.add("iat")
    _run(s, check_id)
    report = {
        "name": "Daily metering",
        "checks": [check_id, "never-ran"],
        "columns": REPORT_COLUMNS,
        "notify": ["mail", "ding"],
    }
    created = s.client.post("/reports", headers=ADMIN, json=report)
    assert created.status_code == 201, created.text
    sent = s.client.post(f"/reports/{created.json()['id']}/run", headers=ADMIN).json()
    assert (sent["executed"], sent["passed"], sent["failed"]) == (3, 1, 2)
    assert [(r["status"], r["cells"]) for r in sent["rows"]] == [
        ("down", ["iat", "0", "0", "FAILED", "FAILED"]),  # the call got 500, so nothing was metered
        ("up", ["tts", "0", "1", "OK", "OK"]),
        ("no result", ["—", "count failed", "count failed", "—", "—"]),  # a check that never ran
    ]
    assert sent["notifications"] == {
        "mail": {"outcome": "sent", "attempts": 1},
        "ding": {"outcome": "sent", "attempts": 1},
    }

    scheduled = s.services.checks.reports.get(created.json()["id"])
    tick = s.clock()
    assert s.services.checks.report_runner.run(scheduled, tick) is not None
    assert s.services.checks.report_runner.run(scheduled, tick) is None  # a tick is sent once
    assert len(s.smtp.mailbox.messages) == 2

    mail = s.smtp.mailbox.messages[-1]
    assert mail["Subject"] == "Daily metering: executed 3; passed 1; failed 2"
    assert isinstance(mail, email.message.EmailMessage)
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    assert "<h3>executed 3; passed 1; failed 2</h3>" in html
    assert (
        '<tr class="failed" style="background:#fde2e2;color:#b00020">'
        "<td>iat</td><td>0</td><td>0</td><td>FAILED</td><td>FAILED</td></tr>"
    ) in html
    assert '<tr class="passed"><td>tts</td><td>0</td><td>1</td><td>OK</td><td>OK</td></tr>' in html
    ding = next(r.body for r in reversed(s.receiver.requests) if r.path == "/dingtalk")
    assert "**executed 3; passed 1; failed 2**" in ding["markdown"]["text"]
    assert "**FAILED** open platform metering service=iat" in ding["markdown"]["text"]


REFUSED_TEMPLATES = [
    ("{{ 1/0 }}", "template: ZeroDivisionError: division by zero"),
    ("{{ 9**99999 }}", "template: '**' would make a 399,996-bit number, over 14,000"),
    ("{{ range(100001) | length }}", "template: a range over 100,000 items"),
    ("{% include 'other' %}", "template: include is not allowed"),
    ("{% import 'other' as o %}{{ o }}", "template: import is not allowed"),
    ("{{ 'x' * 20000000 }}", "template: '*' would make 20,000,000 items, over the limit of 1,000,000"),
]


@pytest.mark.parametrize(("template", "reason"), REFUSED_TEMPLATES)
def test_templates_that_cannot_render_are_refused_when_saved(stack_up: Stack, template: str, reason: str) -> None:
    body = {"name": "t", "steps": [{"request": {"url": stack_up.service.url + "/usage?biz=" + template}}]}
    for path in ("/checks", "/checks/preview"):
        response = stack_up.client.post(path, headers=ADMIN, json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert (error["message"], error["details"]["reason"]) == ("invalid check template", reason)


RUNTIME_FAILURES = [
    ("{{ 1 // (secrets.zero | int) }}", "template: ZeroDivisionError: integer division or modulo by zero"),
    ("{{ 9 ** (secrets.big | int) }}", "template: '**' would make a 399,996-bit number, over 14,000"),
    ("{{ range(secrets.big | int + 2) | length }}", "template: ranges over 100,000 items in all"),
    ("{{ 'x' * (secrets.huge | int) }}", "template: '*' would make 20,000,000 items, over the limit of 1,000,000"),
    (
        "{% for i in range(99999) %}{{ 'x' * 20 }}{% endfor %}",
        "template: output over the limit of 1,000,000 characters",
    ),
]


@pytest.mark.parametrize(("template", "reason"), RUNTIME_FAILURES)
def test_a_template_failing_at_run_time_is_a_down_run_that_alerts(stack_up: Stack, template: str, reason: str) -> None:
    """Values stored in the check (its secrets) make the template fail at every run: each run is recorded,
    down, with the reason, and alerts like any down."""
    s = stack_up
    body = {
        "name": "divides by a stored zero",
        "secrets": {"zero": "-0", "big": "99999", "huge": "20000000"},
        "steps": [{"name": "usage", "request": {"url": s.service.url + "/usage?biz=" + template}}],
        "notify": ["ding", "mail"],
        "failure_threshold": 1,
    }
    created = s.client.post("/checks", headers=ADMIN, json=body)
    assert created.status_code == 201, created.text
    check_id = created.json()["id"]

    run = _run(s, check_id)
    assert run["status"] == "down"
    [row] = run["rows"]
    assert row["error"] == f"usage: {reason}"
    assert [a["kind"] for a in run["alerts"]] == ["fired"]
    assert {n: o["outcome"] for n, o in run["alerts"][0]["notifications"].items()} == {"ding": "sent", "mail": "sent"}
    assert [m["Subject"] for m in s.smtp.mailbox.messages] == ["[DOWN] divides by a stored zero: 1 of 1 failed"]
    history = s.client.get(f"/checks/{check_id}/runs", headers=READ).json()
    assert history["total"] == 1
    assert s.service.calls == Counter()  # the request was never sent

"""``/checks`` and ``/reports`` through a real uvicorn on noida-db: auth, CRUD with If-Match, parse errors
as 422 with reason and position, secrets that never come back, link-local refusal, the example check
against the api's own demo endpoints, a slow target that delays no other check, one run per tick
across two replicas."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from elasticsearch import Elasticsearch
from support.api import ADMIN_KEY, READ_KEY, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.api.checks.results import data_stream
from grokpipe.api.checks.schemas import Check, CheckRun
from grokpipe.api.services import Services
from grokpipe.embedded import EmbeddedStack
from grokpipe.logs import JsonFormatter

ADMIN = {"X-API-Key": ADMIN_KEY}
READ = {"X-API-Key": READ_KEY}
DEMO_PASSWORD = "demo-password"
TOKEN = "tok-3cho-s3cr3t"  # a secret the target echoes back: redacted wherever it would show


@pytest.fixture(scope="module")
def app_url(stack: EmbeddedStack) -> Iterator[tuple[str, Services]]:
    settings = api_settings(stack, dev_sink=True, notifiers={"hook": {"type": "webhook", "url": "http://127.0.0.1:9/"}})
    app = create_app(settings, clock=FakeClock())
    with serve(app) as url:
        services: Services = app.state.services
        services.checks.runner.sleep = lambda _: None
        yield url, services


@pytest.fixture
def client(app_url: tuple[str, Services]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=app_url[0], timeout=30) as http:
        yield http


def demo_check(url: str, **over: Any) -> dict[str, Any]:
    """The example check of examples/api.yml, pointed at this test's server."""
    config = yaml.safe_load(Path("examples/api.yml").read_text())
    body = dict(config["checks"]["seed"][0])
    body.pop("id")
    text = json.dumps(body).replace("http://127.0.0.1:8000", url)
    body = json.loads(text)
    assert isinstance(body, dict)
    return body | {"notify": []} | over


def test_crud_auth_and_concurrency(client: httpx.Client, app_url: tuple[str, Services]) -> None:
    body = demo_check(app_url[0])
    assert client.post("/checks", json=body).status_code == 401
    assert client.post("/checks", json=body, headers=READ).status_code == 403
    created = client.post("/checks", json=body, headers=ADMIN)
    assert created.status_code == 201
    check = created.json()
    assert check["secret_names"] == ["password"]
    assert "secrets" not in check
    assert check["steps"][0]["assert"] == ["[BODY].code == 0"]
    version = created.headers["ETag"]

    patched = client.patch(f"/checks/{check['id']}", json={"name": "renamed"}, headers={**ADMIN, "If-Match": version})
    assert patched.status_code == 200
    stale = client.patch(f"/checks/{check['id']}", json={"name": "again"}, headers={**ADMIN, "If-Match": version})
    assert stale.status_code == 409
    run = client.post(f"/checks/{check['id']}/run", headers=ADMIN).json()  # the secret survived the PATCH
    assert run["status"] == "up", run
    assert run["check_name"] == "renamed"
    listed = client.get("/checks", headers=READ).json()
    assert check["id"] in [c["id"] for c in listed["items"]]
    assert client.post(f"/checks/{check['id']}/run", headers=READ).status_code == 403
    assert client.delete(f"/checks/{check['id']}", headers=ADMIN).status_code == 204
    assert client.get(f"/checks/{check['id']}", headers=READ).status_code == 404


BAD = [
    ({"assert": ["[STATUS] = 200"]}, "steps[0].assert[0]", "'=' is not an operator; use '=='", 9),
    ({"assert": ["[STATUS] == 200", "[BODY].code == "]}, "steps[0].assert[1]", "expected a value, found the end", 15),
    ({"assert": ["[BOD].code == 0"]}, "steps[0].assert[0]", None, 0),
    ({"store": {"x": "[BODY].a +"}}, "steps[0].store.x", "expected a value, found the end", 10),
]


@pytest.mark.parametrize(("step", "field", "reason", "position"), BAD)
def test_conditions_that_do_not_parse_are_422(
    client: httpx.Client, step: dict[str, Any], field: str, reason: str | None, position: int
) -> None:
    body = {"name": "bad", "steps": [{"request": {"url": "http://127.0.0.1:9/"}} | step]}
    response = client.post("/checks", json=body, headers=ADMIN)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_rule"
    assert error["details"]["field"] == field
    assert error["details"]["position"] == position
    if reason:
        assert error["details"]["reason"] == reason


def test_other_refusals(client: httpx.Client) -> None:
    template = {"name": "t", "steps": [{"request": {"url": "http://127.0.0.1:9/{{ context.x "}}]}
    response = client.post("/checks", json=template, headers=ADMIN)
    assert response.status_code == 422
    assert response.json()["error"]["details"]["reason"].startswith("template syntax error")
    ghost = {"name": "g", "notify": ["ghost"], "steps": [{"request": {"url": "http://127.0.0.1:9/"}}]}
    assert client.post("/checks", json=ghost, headers=ADMIN).json()["error"]["details"]["notifiers"] == ["ghost"]
    both = {"name": "b", "steps": [{"request": {"url": "http://x/", "json": {}, "body": "x"}}]}
    assert client.post("/checks", json=both, headers=ADMIN).status_code == 422
    sandbox = {"name": "s", "steps": [{"request": {"url": "http://127.0.0.1:9/{{ ''.__class__.__mro__ }}"}}]}
    run = client.post("/checks/preview", json=sandbox, headers=ADMIN).json()
    assert "unsafe" in run["rows"][0]["steps"][0]["error"] or "access" in run["rows"][0]["steps"][0]["error"]
    assert client.post("/checks/preview", json=sandbox, headers=READ).status_code == 403


def test_link_local_targets_are_refused(client: httpx.Client) -> None:
    body = {
        "name": "metadata",
        "steps": [
            {"name": "imds", "request": {"url": "http://169.254.169.254/latest/meta-data/"}},
            {"name": "v6", "request": {"url": "http://[fe80::a9fe:a9fe]/"}},
            {"name": "compatible", "request": {"url": "http://[::169.254.169.254]/"}},
            {"name": "nat64", "request": {"url": "http://[64:ff9b::a9fe:a9fe]/"}},
        ],
    }
    run = client.post("/checks/preview", json=body, headers=ADMIN).json()
    errors = [s["error"] for s in run["rows"][0]["steps"]]
    assert errors == [
        "refused: 169.254.169.254 resolves to 169.254.169.254, link-local (checks.allow_link_local is false)",
        "refused: fe80::a9fe:a9fe resolves to fe80::a9fe:a9fe, link-local (checks.allow_link_local is false)",
        "refused: ::169.254.169.254 resolves to ::169.254.169.254, link-local (IPv4-compatible form of 169.254.169.254)"
        " (checks.allow_link_local is false)",
        "refused: 64:ff9b::a9fe:a9fe resolves to 64:ff9b::a9fe:a9fe, link-local (NAT64 form of 169.254.169.254)"
        " (checks.allow_link_local is false)",
    ]
    assert run["status"] == "down"


def test_secrets_never_in_responses_logs_or_results(
    client: httpx.Client, app_url: tuple[str, Services], es: Elasticsearch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    url, services = app_url
    body = demo_check(url, notify=["hook"], secrets={"password": DEMO_PASSWORD, "token": TOKEN})
    body["steps"].append(
        {
            "name": "echo",
            "request": {
                "url": url + "/demo/usage?biz={{ secrets.token }}",
                "headers": {"Cookie": "sid={{ context.session }}"},
            },
            "assert": ["[BODY].data.biz == 'nope'"],  # fails, so the echoed value is in the detail too
        }
    )
    check = client.post("/checks", json=body, headers=ADMIN).json()
    run = client.post(f"/checks/{check['id']}/run", headers=ADMIN)  # fails (echo) and alerts to a dead webhook
    assert run.json()["status"] == "down"
    echo = run.json()["rows"][0]["steps"][-1]
    assert "[redacted]" in echo["url"]
    assert "[redacted]" in echo["body"]
    preview = client.post("/checks/preview", json=body, headers=ADMIN)
    updated = client.patch(f"/checks/{check['id']}", json={"tags": ["x"]}, headers=ADMIN)
    bad = client.patch(f"/checks/{check['id']}", json={"steps": []}, headers=ADMIN)
    assert bad.status_code == 422
    bodies = [
        client.get("/checks", headers=READ).text,
        client.get(f"/checks/{check['id']}", headers=READ).text,
        client.get(f"/checks/{check['id']}/runs", headers=READ).text,
        client.get("/alerts", headers=READ, params={"rule_id": f"check-{check['id']}"}).text,
        client.get("/openapi.json").text,
        run.text,
        preview.text,
        updated.text,
        bad.text,
        json.dumps(es.search(index=data_stream(services.settings.checks.namespace), size=500)["hits"]),
    ]
    # grokpipe.logs keeps elastic_transport at WARNING in the services: the client's DEBUG request bodies
    # (a stored check holds its secrets, which runs need) are never logged there. uvicorn.access is the
    # *target's* log here (the demo target is this api): a secret sent in a URL is the target's to log.
    records = [r for r in caplog.records if not r.name.startswith(("elastic_transport", "uvicorn.access"))]
    logged = "\n".join(JsonFormatter().format(record) for record in records)
    assert "check alert fired" in logged
    for secret in (DEMO_PASSWORD, TOKEN):
        for text in [*bodies, logged]:
            assert secret not in text


class _Slow(BaseHTTPRequestHandler):
    delay = 3.0

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        time.sleep(self.delay)
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def test_a_slow_target_delays_no_other_check(client: httpx.Client, app_url: tuple[str, Services]) -> None:
    url, services = app_url
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        slow_body = {"name": "slow", "steps": [{"request": {"url": f"http://127.0.0.1:{server.server_address[1]}/"}}]}
        slow = services.checks.store.get(client.post("/checks", json=slow_body, headers=ADMIN).json()["id"])
        fast = services.checks.store.get(client.post("/checks", json=demo_check(url), headers=ADMIN).json()["id"])
        scheduler = services.checks.scheduler
        assert scheduler is not services.scheduler  # type: ignore[comparison-overlap]  # rules: their own pool
        scheduler.rules = {slow.id: slow, fast.id: fast}
        now = services.clock()
        scheduler.next_due = {slow.id: now, fast.id: now}
        assert scheduler.step(now) == 2
        scheduler.running[fast.id].result(timeout=10)
        assert not scheduler.running[slow.id].done()  # the fast check finished while the slow one still waits
        slow_run = scheduler.running[slow.id].result(timeout=10)
        assert isinstance(slow_run, CheckRun)
        assert (slow_run.rows[0].steps[0].response_time_ms or 0) >= 3000
    finally:
        server.shutdown()
        server.server_close()


def test_one_run_per_tick_across_replicas(app_url: tuple[str, Services]) -> None:
    url, first = app_url
    second = Services.build(first.settings, first.clock)
    second.checks.runner.sleep = lambda _: None
    try:
        check = first.checks.store.create(
            Check.model_validate(
                demo_check(url)
                | {"id": "x", "version": "0:0", "created": "2026-01-01T00:00:00Z", "updated": "2026-01-01T00:00:00Z"}
            )
        )
        tick = first.clock()
        results: list[Any] = []
        threads = [
            threading.Thread(target=lambda s=s: results.append(s.checks.service.run(check, tick)))
            for s in (first, second)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r is None for r in results) == [False, True]
        assert first.checks.results.history(check.id).total == 2  # one run, two rows
    finally:
        second.close()


def test_the_example_check_and_report_pass_out_of_the_box(stack: EmbeddedStack) -> None:
    """examples/api.yml's seeded check against the demo endpoints this api serves (``dev_sink: true``)."""
    config = yaml.safe_load(Path("examples/api.yml").read_text())
    settings = api_settings(stack, dev_sink=True, notifiers={})
    app = create_app(settings, clock=FakeClock())
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as client:
        services: Services = app.state.services
        services.checks.runner.sleep = lambda _: None
        seed = json.loads(json.dumps(config["checks"]["seed"]).replace("http://127.0.0.1:8000", url))
        services.checks.settings = services.checks.settings.model_copy(
            update={
                "seed": [{**c, "notify": []} for c in seed],
                "reports_seed": [{**r, "notify": []} for r in config["checks"]["reports_seed"]],
            }
        )
        services.checks.seed([])
        services.checks.seed([])  # idempotent
        run = client.post("/checks/demo-metering/run", headers=ADMIN).json()
        assert run["status"] == "up", run
        report = client.post("/reports/daily-metering/run", headers=ADMIN).json()
        assert (report["executed"], report["passed"], report["failed"]) == (2, 2, 0)
        assert [r["cells"][3:] for r in report["rows"]] == [["OK", "OK", ""], ["OK", "OK", ""]]  # no "why": passed


def test_response_bodies_in_results_are_capped(client: httpx.Client, app_url: tuple[str, Services]) -> None:
    body = {"name": "big", "steps": [{"request": {"url": app_url[0] + "/openapi.json"}, "assert": ["len([BODY]) > 3"]}]}
    step = client.post("/checks/preview", json=body, headers=ADMIN).json()["rows"][0]["steps"][0]
    assert step["status"] == "passed"  # the whole document was read and parsed
    limit = app_url[1].settings.checks.body_limit
    assert step["body"].endswith("…[truncated]")
    assert len(step["body"]) == limit + len("…[truncated]")


class _Echo(BaseHTTPRequestHandler):
    """Echoes what it was sent as JSON (non-ASCII escaped): the raw path and query, the Authorization
    header, the raw body."""

    def log_message(self, *args: Any) -> None:
        pass

    def _echo(self) -> None:
        size = int(self.headers.get("Content-Length") or 0)
        sent = {
            "path": self.path,
            "auth": self.headers.get("Authorization"),
            "body": self.rfile.read(size).decode("utf-8", errors="replace"),
        }
        payload = json.dumps(sent).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._echo()

    def do_POST(self) -> None:
        self._echo()


SECRET = 'p@ss/w+rd&x=1 ü"\\é'  # every character an encoding changes
BASIC = "b@s ic+ü"


def test_secrets_are_redacted_in_every_encoding_the_check_sent(client: httpx.Client) -> None:
    import base64
    import urllib.parse

    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = f"127.0.0.1:{server.server_address[1]}"
    fail = ["[BODY].path == 'nope'"]  # each step fails: its echoed body is in the result and the detail
    body = {
        "name": "echo",
        "secrets": {"s": SECRET, "basic": BASIC},
        "steps": [
            {
                "name": "query",
                "request": {"url": f"http://{target}/q", "params": {"q": "{{ secrets.s }}"}},
                "assert": fail,
            },
            {"name": "path", "request": {"url": f"http://{target}/p/{{{{ secrets.s }}}}"}, "assert": fail},
            {
                "name": "form",
                "request": {
                    "method": "POST",
                    "url": f"http://{target}/f",
                    "headers": {"Content-Type": "application/x-www-form-urlencoded"},
                    "body": "pw={{ secrets.s | urlencode }}",
                },
                "assert": fail,
            },
            {
                "name": "json",
                "request": {"method": "POST", "url": f"http://{target}/j", "json": {"pw": "{{ secrets.s }}"}},
                "assert": fail,
            },
            {
                "name": "basic",
                "request": {"url": f"http://qa:{{{{ secrets.basic | urlencode }}}}@{target}/b"},
                "assert": fail,
            },
        ],
    }
    try:
        run = client.post("/checks/preview", json=body, headers=ADMIN)
    finally:
        server.shutdown()
    assert run.status_code == 200, run.text
    steps = {s["name"]: s for s in run.json()["rows"][0]["steps"]}
    assert {name: "[redacted]" in step["body"] for name, step in steps.items()} == dict.fromkeys(steps, True)
    leaks = {
        "literal": SECRET,
        "query": urllib.parse.quote_plus(SECRET, safe=""),
        "path": "p@ss/w+rd&x=1%20%C3%BC%22",
        "form": urllib.parse.quote(SECRET, safe="/"),
        "json": json.dumps(SECRET)[1:-1],
        "json, as the target echoes it": json.dumps(json.dumps(SECRET)[1:-1])[1:-1],
        "path, as the target echoes it": json.dumps("p@ss/w+rd&x=1%20%C3%BC%22\\%C3%A9")[1:-1],
        "basic literal": BASIC,
        "basic userinfo": urllib.parse.quote(BASIC, safe="/"),
        "basic auth": base64.b64encode(f"qa:{BASIC}".encode()).decode(),
    }
    text = run.text
    assert {name: form for name, form in leaks.items() if form in text} == {}

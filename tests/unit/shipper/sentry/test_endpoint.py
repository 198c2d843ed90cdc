"""The answers of the Sentry input, request by request, with an in-memory spool behind its protocol."""

from __future__ import annotations

import gzip

import pytest

from grokpipe.shipper.metrics import ShipperMetrics
from grokpipe.shipper.sentry.config import SentryInputSettings
from grokpipe.shipper.sentry.endpoint import SentryEndpoint
from grokpipe.shipper.sentry.items import Pair
from grokpipe.shipper.sentry.server import Request
from grokpipe.shipper.spool import SpoolWriteError

KEY = "e12d836b15bb49d7bbf99e64295d995b"
AUTH = {"x-sentry-auth": f"Sentry sentry_key={KEY}, sentry_version=7"}
EVENT = b'{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc"}\n{"type":"event"}\n{"message":"hi"}\n'


class MemorySpool:
    def __init__(self, room: int = 1000, fail: bool = False) -> None:
        self.records: list[Pair] = []
        self.room = room
        self.fail = fail

    def put_many(self, records: list[Pair], timeout: float | None = None) -> bool:
        if self.fail:
            raise SpoolWriteError("disk full")
        if len(self.records) + len(records) > self.room:
            return False
        self.records.extend(records)
        return True


def endpoint(spool: MemorySpool, **options: object) -> SentryEndpoint:
    settings = SentryInputSettings.model_validate(
        {"type": "sentry", "listen": "127.0.0.1:0", "projects": [{"id": 1, "name": "shop", "keys": [KEY]}], **options}
    )
    return SentryEndpoint(settings, spool, ShipperMetrics(), host="collector")


def post(path: str, body: bytes, headers: dict[str, str] | None = None, query: str = "") -> Request:
    from urllib.parse import parse_qs

    return Request("POST", path, parse_qs(query), {**AUTH, **(headers or {})} if headers is not None else AUTH, body)


@pytest.mark.parametrize(
    ("request_", "status"),
    [
        (post("/api/1/envelope/", EVENT), 200),
        (post("/api/1/envelope", EVENT), 200),
        (post("/api/1/envelope/", gzip.compress(EVENT), {"content-encoding": "gzip"}), 200),
        (Request("POST", "/api/1/envelope/", {"sentry_key": [KEY]}, {}, EVENT), 200),
        (Request("POST", "/api/1/envelope/", {}, {}, b'{"dsn":"http://' + KEY.encode() + b'@h/1"}\n'), 200),
        (Request("POST", "/api/1/envelope/", {}, {}, EVENT), 403),
        (post("/api/2/envelope/", EVENT), 403),
        (post("/api/1/envelope/", b"garbage"), 400),
        (post("/api/1/envelope/", EVENT, {"content-encoding": "zstd"}), 400),
        (post("/api/1/store/", b'{"message":"hi"}'), 200),
        (post("/api/1/store/", b"[]"), 400),
        (Request("GET", "/api/1/envelope/", {}, AUTH, b""), 405),
        (Request("GET", f"/api/1/cron/backup/{KEY}/", {"status": ["ok"]}, {}, b""), 202),
        (Request("POST", f"/api/1/cron/backup/{KEY}/", {}, {}, b'{"status":"error"}'), 202),
        (Request("GET", f"/api/1/cron/backup/{'0' * 32}/", {"status": ["ok"]}, {}, b""), 403),
        (Request("GET", f"/api/1/cron/backup/{KEY}/", {"status": ["maybe"]}, {}, b""), 400),
        (Request("GET", "/healthz", {}, {}, b""), 404),
    ],
)
def test_answers(request_: Request, status: int) -> None:
    spool = MemorySpool()
    response = endpoint(spool)(request_)
    assert response.status == status, response.body
    # a header-only envelope (the dsn case) is answered 200 with nothing to spool
    assert len(spool.records) == (1 if status in {200, 202} and request_.body.count(b"\n") != 1 else 0)
    if status >= 400:
        assert "detail" in response.body


def test_the_answer_names_the_event() -> None:
    response = endpoint(MemorySpool())(post("/api/1/envelope/", EVENT))
    assert response.body == {"id": "9ec79c33ec9942ab8353589fcb2e04dc"}


def test_a_full_spool_is_429_with_retry_after() -> None:
    response = endpoint(MemorySpool(room=0), retry_after=7)(post("/api/1/envelope/", EVENT))
    assert response.status == 429
    assert response.headers["Retry-After"] == "7"
    assert response.headers["X-Sentry-Rate-Limits"] == "7::key:spool_full"


def test_a_project_over_its_rate_is_429() -> None:
    handler = endpoint(MemorySpool(), rate_limit={"per_second": 1, "burst": 2})
    assert [handler(post("/api/1/envelope/", EVENT)).status for _ in range(3)] == [200, 200, 429]
    refused = handler(post("/api/1/envelope/", EVENT))
    assert refused.headers["X-Sentry-Rate-Limits"] == "1::project:project_rate_limit"


def test_a_failing_disk_is_503() -> None:
    response = endpoint(MemorySpool(fail=True))(post("/api/1/envelope/", EVENT))
    assert response.status == 503
    assert "Retry-After" in response.headers


def test_an_event_over_the_limit_is_413() -> None:
    big = b'{}\n{"type":"event"}\n{"message":"' + b"x" * 4096 + b'"}\n'
    assert endpoint(MemorySpool(), limits={"event_bytes": 1024})(post("/api/1/envelope/", big)).status == 413


def test_a_secret_never_reaches_the_answer() -> None:
    headers = {"x-sentry-auth": "Sentry sentry_key=" + "0" * 32 + ", sentry_secret=hunter2"}
    response = endpoint(MemorySpool())(Request("POST", "/api/1/envelope/", {}, headers, EVENT))
    assert response.status == 403
    assert "hunter2" not in str(response)
    assert "0" * 32 not in str(response)

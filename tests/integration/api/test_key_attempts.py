"""Wrong X-API-Key values are limited per address: after auth.failed_attempts of them, every key from that
address gets 429 with Retry-After until the window passes; requests without a key are not guesses."""

from __future__ import annotations

import httpx
from support.api import ADMIN_KEY, READ_KEY, FakeClock, api_settings, serve

from grokpipe.api.app import create_app
from grokpipe.embedded import EmbeddedStack


def test_wrong_keys_are_limited_per_address(stack: EmbeddedStack) -> None:
    auth = {"admin_keys": [ADMIN_KEY], "read_keys": [READ_KEY], "failed_attempts": 5, "failed_window": 600}
    app = create_app(api_settings(stack, auth=auth), clock=FakeClock(), scheduler=False)
    with serve(app) as url, httpx.Client(base_url=url, timeout=30) as http:
        for _ in range(20):
            assert http.get("/rules").status_code == 401  # no key: not counted
        assert http.get("/rules", headers={"X-API-Key": READ_KEY}).status_code == 200
        for i in range(5):
            assert http.get("/rules", headers={"X-API-Key": f"guess-{i}"}).status_code == 401
        for key in ("guess-5", READ_KEY, ADMIN_KEY):
            refused = http.get("/rules", headers={"X-API-Key": key})
            assert refused.status_code == 429
            assert refused.json()["error"]["message"] == "too many wrong keys from this address; retry later"
            assert 0 < int(refused.headers["retry-after"]) <= 600
        assert http.get("/healthz").status_code == 200  # what needs no key still answers

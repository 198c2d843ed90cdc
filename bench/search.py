"""Search benchmark: what the Logs page and ``grokpipe search`` cost on the embedded server.

Run with ``make bench BENCH=search`` (or ``python bench/search.py --events 50000``). The default, 20,000 events, is
what ``grokpipe up`` keeps the embedded server to (the indexer's retention, ``max_events``). One noida-db of its
own, the indexer's index template, ``--events`` generated nginx access events (the last ``--hours``
hours, 40 URL paths, 2% 5xx, request times with a long tail) bulk-written to
``logs-nginx.access-default``, then a real api (uvicorn, in-process) and an HTTP client asking what
the page and the command ask. For each view: the events it matched, the server time (the searches
behind the answer, timed from the api's side: the embedded server reports ``took: 0``) and the page
time (the whole HTTP request, as a browser or ``grokpipe search`` waits for it), the median of
``--rounds`` rounds after one unmeasured round. Not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# With bench/ on sys.path, "import indexer" would find bench/indexer.py: import the packages first.
_BENCH = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _BENCH]

import httpx  # noqa: E402
import uvicorn  # noqa: E402
from elasticsearch import Elasticsearch, helpers  # noqa: E402

from grokpipe.api.app import create_app  # noqa: E402
from grokpipe.api.config import ApiSettings  # noqa: E402
from grokpipe.embedded import EmbeddedStack  # noqa: E402
from grokpipe.indexer.template import install_templates  # noqa: E402

sys.path.append(_BENCH)
from procstats import table  # noqa: E402

KEY = "bench-read-key"
INDEX = "logs-nginx.access-default"
PATHS = (
    [f"/api/v1/item{i}" for i in range(30)]
    + ["/", "/cart.php", "/checkout.php", "/search.php"]
    + [f"/static/app{i}.js" for i in range(6)]
)


def events(n: int, hours: float, now: datetime) -> Iterator[dict[str, Any]]:
    """``n`` access events spread over the ``hours`` before ``now``, newest last."""
    rng = random.Random(42)
    span = hours * 3600
    for i in range(n):
        at = now - timedelta(seconds=span * (n - i) / n)
        path = rng.choice(PATHS)
        status = rng.choice([500, 502, 503]) if rng.random() < 0.02 else rng.choice([200, 200, 200, 304, 404])
        duration = round(
            rng.lognormvariate(-3.0, 1.2) + (3.0 if path == "/checkout.php" and rng.random() < 0.1 else 0), 3
        )
        ip = f"198.51.{rng.randrange(256)}.{rng.randrange(256)}"
        stamp = at.strftime("%d/%b/%Y:%H:%M:%S +0000")
        yield {
            "_index": INDEX,
            "_op_type": "create",
            "_id": f"bench-{i:08d}",
            "_source": {
                "@timestamp": at.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                "message": f'{ip} - - [{stamp}] "GET {path} HTTP/1.1" {status} 512 "-" "bench/1.0" "-" {duration}',
                "event": {"id": f"bench-{i:08d}", "dataset": "nginx.access", "kind": "event", "category": ["web"]},
                "host": {"name": f"web-{i % 4}"},
                "source": {"ip": ip},
                "http": {
                    "request": {"method": "GET", "duration": duration},
                    "response": {"status_code": status, "body": {"bytes": 512}},
                },
                "url": {"original": path, "path": path},
                "user_agent": {"original": "bench/1.0"},
            },
        }


class Timed:
    """Wraps the api's Elasticsearch client: the time its requests take, summed (the embedded server
    reports ``took: 0``, so the server's time is measured from the api's side of the socket)."""

    def __init__(self, es: Any) -> None:
        self.seconds = 0.0
        self._lock = threading.Lock()
        inner = es.perform_request

        def perform_request(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return inner(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds += time.perf_counter() - t0

        es.perform_request = perform_request

    def take(self) -> float:
        with self._lock:
            seconds, self.seconds = self.seconds, 0.0
        return seconds


class Api:
    """The api in this process on a free port, on the bench's server."""

    def __init__(self, es_url: str) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        settings = ApiSettings.model_validate(
            {
                "elasticsearch": {"hosts": [es_url]},
                "auth": {"read_keys": [KEY], "admin_keys": ["bench-admin-key-unused"]},
                "scheduler": {"enabled": False},
                "errors": {"enabled": False},
            }
        )
        self.app = create_app(settings)
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_config=None, access_log=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        while not self.server.started:
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=15)


def console_session(http: httpx.Client) -> None:
    """Log the client in to the console (the login form's CSRF token, then the key)."""
    form = http.get("/ui/login").text
    token = re.search(r'name="csrf" value="([^"]+)"', form)
    assert token, "no login form"
    done = http.post("/ui/login", data={"csrf": token.group(1), "key": KEY, "next": "/ui/logs"})
    assert done.status_code in (200, 303), done.status_code


View = Callable[[httpx.Client], int]


def api_view(path: str, **params: Any) -> View:
    def run(http: httpx.Client) -> int:
        resp = http.get(path, params=params, headers={"X-API-Key": KEY})
        resp.raise_for_status()
        body = resp.json()
        return int(body.get("total", body.get("overall", {}).get("count", 0)))

    return run


def second_page(http: httpx.Client, **params: Any) -> str:
    return str(http.get("/search", params=params, headers={"X-API-Key": KEY}).json()["next"])


def console_view(**params: Any) -> View:
    def run(http: httpx.Client) -> int:
        resp = http.get("/ui/logs", params=params)
        resp.raise_for_status()
        total = re.search(r'data-total="(\d+)"', resp.text)
        return int(total.group(1)) if total else -1

    return run


VIEWS: list[tuple[str, str, View]] = [
    (
        "page: 500s, 15m",
        "histogram + 50 events",
        api_view("/search", q="http.response.status_code:500", since="15m", histogram="true"),
    ),
    ("page: everything, 15m", "histogram + 50 events", api_view("/search", q="", since="15m", histogram="true")),
    (
        "page: 5xx, 1h",
        "histogram + 50 events",
        api_view("/search", q="http.response.status_code:>=500", since="1h", histogram="true"),
    ),
    (
        "page: a phrase, 1h",
        "histogram + 50 events",
        api_view("/search", q='"GET /cart.php"', since="1h", histogram="true"),
    ),
    ("top values: url.path, 1h", "terms + missing", api_view("/search/top", field="url.path", since="1h")),
    (
        "p95 per URL, 15m",
        "stats + histograms",
        api_view("/search/stats", field="http.request.duration", by="url.path", since="15m"),
    ),
    (
        "p95 per URL, 1h",
        "stats + histograms",
        api_view("/search/stats", field="http.request.duration", by="url.path", since="1h"),
    ),
    (
        "Logs page HTML: 500s, 15m",
        "histogram + 50 events, rendered",
        console_view(q="http.response.status_code:500", since="15m"),
    ),
    ("Logs page HTML: everything, 15m", "histogram + 50 events, rendered", console_view(q="", since="15m")),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=20_000, help="events held (default: make run's retention)")
    parser.add_argument("--hours", type=float, default=1.0, help="the events span this many hours before now")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grokpipe-bench-search-") as tmp, EmbeddedStack(Path(tmp)) as stack:
        es = Elasticsearch(stack.elasticsearch_url, request_timeout=600)
        install_templates(es)
        began = time.monotonic()
        now = datetime.now(UTC)
        for ok, item in helpers.streaming_bulk(
            es, events(args.events, args.hours, now), chunk_size=2000, raise_on_error=False
        ):
            if not ok:
                print(f"bulk item failed: {item}", file=sys.stderr)
        es.indices.refresh(index=INDEX)
        loaded = time.monotonic() - began
        stored = int(es.count(index=INDEX)["count"])
        print(f"{stored:,} events over the last {args.hours:g} h in {INDEX} ({loaded:.0f} s to load)")
        rows: list[list[object]] = []
        api = Api(stack.elasticsearch_url)
        with api as url, httpx.Client(base_url=url, timeout=600) as http:
            console_session(http)
            timed = Timed(api.app.state.services.es)
            after = second_page(http, q="", since="1h")
            views = [
                *VIEWS,
                (
                    "older page: everything, 1h",
                    "50 events after a cursor",
                    api_view("/search", since="1h", after=after),
                ),
            ]
            for name, asks, view in views:
                view(http)  # warm: the mapping, the server's answer about percentiles
                timed.take()
                server: list[float] = []
                wall: list[float] = []
                matched = 0
                for _ in range(args.rounds):
                    t0 = time.perf_counter()
                    matched = view(http)
                    wall.append(time.perf_counter() - t0)
                    server.append(timed.take())
                rows.append(
                    [
                        name,
                        asks,
                        f"{matched:,}",
                        f"{statistics.median(server):.2f} s",
                        f"{statistics.median(wall):.2f} s",
                    ]
                )
        es.close()
    print(table(["view", "asks for", "events matched", "server time", "page time"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Python programs that log through ``logging``: urllib3 (with retries, redirects, a pool too small),
httpx and httpcore's traces, asyncio in debug mode, multiprocessing's pool, all at DEBUG into one
file with a common format, against a local HTTP server that answers 200, 404, 500, 503, redirects,
hangs up or is slow, and ports where nobody listens.

Runs in this process: the handler is on the root logger (and multiprocessing's, which does not
propagate) for the length of the run only.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import random
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import urllib3
from localcorpus.base import Log, Program, events, free_port

FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


class Flaky(BaseHTTPRequestHandler):
    """Answers by the first path segment: /ok, /missing, /error, /busy, /moved, /hangup, /slow."""

    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        kind = self.path.split("/")[1]
        if kind == "hangup":
            self.close_connection = True
            return
        if kind == "slow":
            time.sleep(0.6)
        status = {"missing": 404, "error": 500, "busy": 503, "moved": 301}.get(kind, 200)
        self.send_response(status)
        if status == 301:
            self.send_header("Location", "/ok" + self.path.removeprefix("/moved"))
        self.send_header("Content-Length", "2")
        self.end_headers()
        with contextlib.suppress(ConnectionError):  # the client's read timeout is shorter than /slow
            self.wfile.write(b"ok")

    def do_POST(self) -> None:
        self.do_GET()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the server is scenery, the clients' logs are the corpus."""


def produce(work: Path, rng: random.Random) -> None:
    with _logging_to(work / "python.log"), _server() as port:
        dead = free_port()
        _urllib3(port, dead, rng)
        _httpx(port, dead, rng)
        asyncio.run(_asyncio(port, dead, rng), debug=True)
        _multiprocessing(rng)


@contextlib.contextmanager
def _logging_to(path: Path) -> Iterator[None]:
    handler = logging.FileHandler(path)
    handler.setFormatter(logging.Formatter(FORMAT))
    root, mp = logging.getLogger(), multiprocessing.get_logger()
    level = root.level
    root.addHandler(handler)
    mp.addHandler(handler)
    root.setLevel(logging.DEBUG)
    mp.setLevel(logging.DEBUG)
    try:
        yield
    finally:
        root.removeHandler(handler)
        mp.removeHandler(handler)
        root.setLevel(level)
        mp.setLevel(logging.NOTSET)
        handler.close()


@contextlib.contextmanager
def _server() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


def _path(rng: random.Random) -> str:
    kind = rng.choices(
        ["ok", "missing", "error", "busy", "moved", "hangup", "slow"], weights=[30, 15, 10, 10, 10, 8, 5]
    )[0]
    return (
        f"/{kind}/{rng.choice(['api', 'users', 'orders', 'static'])}/{rng.randint(1, 9999)}?page={rng.randint(1, 20)}"
    )


def _urllib3(port: int, dead: int, rng: random.Random) -> None:
    """A small pool shared by threads (pool full), retries on 500/503 and on broken connections."""
    retries = urllib3.Retry(total=2, backoff_factor=0, status_forcelist=[500, 503], raise_on_status=False)
    with urllib3.PoolManager(maxsize=1, retries=retries, timeout=0.4) as http:

        def call(number: int) -> None:
            target = port if number % 12 else dead
            with contextlib.suppress(urllib3.exceptions.HTTPError):
                http.request(rng.choice(["GET", "POST"]), f"http://127.0.0.1:{target}{_path(rng)}")

        with ThreadPoolExecutor(4) as pool:
            list(pool.map(call, range(220)))


def _httpx(port: int, dead: int, rng: random.Random) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=0.4, follow_redirects=True) as client:
        for number in range(40):
            url = _path(rng) if number % 10 else f"http://127.0.0.1:{dead}/ok/"
            with contextlib.suppress(httpx.HTTPError):
                client.request(rng.choice(["GET", "POST"]), url)


async def _asyncio(port: int, dead: int, rng: random.Random) -> None:
    """Connections that work and are refused, callbacks slow enough for debug mode to say so, a task whose
    exception nobody retrieves."""
    loop = asyncio.get_running_loop()
    loop.slow_callback_duration = 0.01
    for _ in range(40):
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", rng.choice([port, port, dead]))
        except OSError:
            continue
        writer.write(f"GET {_path(rng)} HTTP/1.0\r\n\r\n".encode())
        await reader.read()
        writer.close()
        await writer.wait_closed()
        time.sleep(rng.uniform(0.011, 0.03))  # a blocking call in a coroutine: what debug mode exists to find
    for _ in range(6):
        task = loop.create_task(_fails(rng.randint(1, 99)))
        await asyncio.sleep(0)
        del task


async def _fails(number: int) -> None:
    raise ValueError(f"order {number} has no lines")


def _multiprocessing(rng: random.Random) -> None:
    with multiprocessing.get_context("fork").Pool(rng.randint(2, 4)) as pool:
        pool.map(abs, range(-20, 20))


HEADER = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} \[\d+\] [A-Z]+ "  # FORMAT, up to the logger's name
URL = r"https?://\S+"
RETRY = r"Retry\(total=\d+, connect=\w+, read=\w+, redirect=\w+, status=\w+\)"  # urllib3 Retry.__repr__
#: httpcore/_trace.py Trace: "<name>.started <kwargs>", "<name>.complete return_value=%r", "<name>.failed
#: exception=%r", the name given where the trace is opened (httpcore/_sync/connection.py: connect_tcp;
#: _sync/http11.py: the rest): one event per name and phase.
TRACES = (
    "connect_tcp",
    "close",
    "send_request_headers",
    "send_request_body",
    "receive_response_headers",
    "receive_response_body",
    "response_closed",
)
TABLE = [
    # urllib3/connectionpool.py HTTPConnectionPool
    # _new_conn
    (
        "Starting new HTTP connection (%d): %s:%s",
        r"urllib3\.connectionpool: Starting new HTTP connection \(\d+\): \S+:\d+",
    ),
    # _make_request
    ('%s://%s:%s "%s %s %s" %s %s', r'urllib3\.connectionpool: http://\S+:\d+ "\w+ \S+ HTTP/[\d.]+" \d+ \d+'),
    # urlopen
    (
        "Retrying (%r) after connection broken by '%r': %s",
        rf"urllib3\.connectionpool: Retrying \({RETRY}\) after connection broken by '.*': \S+",
    ),
    ("Retry: %s", r"urllib3\.connectionpool: Retry: \S+"),  # urlopen, a status in status_forcelist
    # _put_conn
    (
        "Connection pool is full, discarding connection: %s. Connection pool size: %s",
        r"urllib3\.connectionpool: Connection pool is full, discarding connection: \S+\. Connection pool size: \d+",
    ),
    # urllib3/poolmanager.py PoolManager.urlopen
    ("Redirecting %s -> %s", rf"urllib3\.poolmanager: Redirecting {URL} -> {URL}"),
    # urllib3/util/retry.py Retry.increment
    ("Incremented Retry for (url='%s'): %r", rf"urllib3\.util\.retry: Incremented Retry for \(url='[^']*'\): {RETRY}"),
    # httpx/_client.py Client._send_single_request
    ('HTTP Request: %s %s "%s %d %s"', rf'httpx: HTTP Request: \w+ {URL} "HTTP/[\d.]+ \d+ [\w ]+"'),
    *(
        (f"{name}.{phase}", rf"httpcore\.\w+: {name}\.{phase}(?: .*)?")
        for name in TRACES
        for phase in ("started", "complete")
    ),
    *(
        (f"{name}.failed", rf"httpcore\.\w+: {name}\.failed exception=.*")
        for name in ("connect_tcp", "receive_response_headers")
    ),
    # asyncio (Python 3.11)
    ("Using selector: %s", r"asyncio: Using selector: \w+"),  # selector_events.py BaseSelectorEventLoop.__init__
    # base_events.py create_connection
    ("%r connected to %s:%r: (%r, %r)", r"asyncio: <asyncio\.TransportSocket .*> connected to \S+:\d+: \(.*\)"),
    # selector_events.py _SelectorSocketTransport._read_ready__data_received
    ("%r received EOF", r"asyncio: <_SelectorSocketTransport .*> received EOF"),
    ("Executing %s took %.3f seconds", r"asyncio: Executing <.*> took [\d.]+ seconds"),  # base_events.py _run_once
    # tasks.py / base_events.py default_exception_handler
    ("Task exception was never retrieved", r"asyncio: Task exception was never retrieved"),
    ("Close %r", r"asyncio: Close <.*>"),  # base_events.py close
    # multiprocessing (Python 3.11)
    # synchronize.py SemLock.__init__
    ("created semlock with handle %s", r"multiprocessing: created semlock with handle \d+"),
    ("added worker", r"multiprocessing: added worker"),  # pool.py Pool._repopulate_pool_static
    # process.py BaseProcess._bootstrap
    ("child process calling self.run()", r"multiprocessing: child process calling self\.run\(\)"),
    # process.py BaseProcess._bootstrap
    ("process exiting with exitcode %d", r"multiprocessing: process exiting with exitcode \d+"),
    ("worker got sentinel -- exiting", r"multiprocessing: worker got sentinel -- exiting"),  # pool.py worker
    ("worker exiting after %d tasks", r"multiprocessing: worker exiting after \d+ tasks"),  # pool.py worker
    ("cleaning up worker %d", r"multiprocessing: cleaning up worker \d+"),  # pool.py Pool._join_exited_workers
    ("task handler got sentinel", r"multiprocessing: task handler got sentinel"),  # pool.py Pool._handle_tasks
    (
        "task handler sending sentinel to result handler",
        r"multiprocessing: task handler sending sentinel to result handler",
    ),
    ("task handler sending sentinel to workers", r"multiprocessing: task handler sending sentinel to workers"),
    ("task handler exiting", r"multiprocessing: task handler exiting"),
    ("result handler got sentinel", r"multiprocessing: result handler got sentinel"),  # pool.py Pool._handle_results
    ("ensuring that outqueue is not full", r"multiprocessing: ensuring that outqueue is not full"),
    (
        "result handler exiting: len(cache)=%s, thread._state=%s",
        r"multiprocessing: result handler exiting: len\(cache\)=\d+, thread\._state=\w+",
    ),
    ("worker handler exiting", r"multiprocessing: worker handler exiting"),  # pool.py Pool._handle_workers
    ("finalizing pool", r"multiprocessing: finalizing pool"),  # pool.py Pool._terminate_pool
    ("helping task handler/workers to finish", r"multiprocessing: helping task handler/workers to finish"),
    # pool.py Pool._help_stuff_finish
    (
        "removing tasks from inqueue until task handler finished",
        r"multiprocessing: removing tasks from inqueue until task handler finished",
    ),
    ("joining worker handler", r"multiprocessing: joining worker handler"),
    ("terminating workers", r"multiprocessing: terminating workers"),
    ("joining task handler", r"multiprocessing: joining task handler"),
    ("joining result handler", r"multiprocessing: joining result handler"),
    ("joining pool workers", r"multiprocessing: joining pool workers"),
    ("terminating pool", r"multiprocessing: terminating pool"),  # pool.py Pool.terminate
    ("process shutting down", r"multiprocessing: process shutting down"),  # util.py _exit_function
    (
        'running all "atexit" finalizers with priority >= 0',
        r'multiprocessing: running all "atexit" finalizers with priority >= 0',
    ),
    ('running the remaining "atexit" finalizers', r'multiprocessing: running the remaining "atexit" finalizers'),
]

PROGRAM = Program(
    name="python",
    packages=(),
    produce=produce,
    logs=(Log("python-logging", "python.log", events(HEADER, TABLE)),),
)

"""A check against a real server whose keep-alive is shorter than the check's ``wait``: a pooled
connection the server closed is no failure of the target (no reuse across a wait; an idempotent
request that got no response on a reused connection is sent once more), and a non-idempotent one is
never sent twice."""

from __future__ import annotations

import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from grokpipe.api.checks.runner import CheckRunner
from grokpipe.api.checks.schemas import CheckBody
from grokpipe.api.checks.settings import CheckSettings
from grokpipe.api.kernel.clock import utc_now


@dataclass
class ShortKeepAlive:
    """HTTP/1.1 on loopback that keeps connections alive for ``keepalive`` seconds: a request arriving on a
    connection idle that long is dropped unanswered (reset), as when the server's idle timer fires just
    as the request arrives."""

    keepalive: float
    url: str = ""
    connections: int = 0
    answered: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


def _read_request(conn: socket.socket, buffer: bytes) -> tuple[str, bytes] | None:
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    length = next((int(v) for k, _, v in (h.partition(": ") for h in lines[1:]) if k.lower() == "content-length"), 0)
    while len(rest) < length:
        chunk = conn.recv(65536)
        if not chunk:
            return None
        rest += chunk
    method, path, _ = lines[0].split(" ", 2)
    return f"{method} {path}", rest[length:]


@contextmanager
def short_keepalive_server(keepalive: float) -> Iterator[ShortKeepAlive]:
    server = ShortKeepAlive(keepalive)
    listener = socket.create_server(("127.0.0.1", 0))
    server.url = f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop = threading.Event()

    def serve(conn: socket.socket) -> None:
        last: float | None = None
        buffer = b""
        with conn:
            while not stop.is_set():
                request = _read_request(conn, buffer)
                if request is None:
                    return
                line, buffer = request
                if last is not None and time.monotonic() - last >= keepalive:
                    server.dropped.append(line)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # RST
                    return
                body = b'{"code": 0}'
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                    + f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                server.answered.append(line)
                last = time.monotonic()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            server.connections += 1
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        stop.set()
        thread.join(timeout=5)
        listener.close()


def run(steps: list[dict[str, object]]) -> tuple[str, str | None]:
    check = CheckBody.model_validate({"name": "keep-alive", "steps": steps})
    result = CheckRunner(CheckSettings(), utc_now).execute(check)
    return result.status, result.rows[0].error


def test_no_false_failure_after_a_wait_longer_than_the_servers_keepalive() -> None:
    with short_keepalive_server(keepalive=0.05) as server:
        status, error = run(
            [
                {"name": "login", "request": {"method": "POST", "url": f"{server.url}/login", "json": {"u": "qa"}}},
                {"wait": "1s"},  # longer than the server keeps the connection
                {"name": "call", "request": {"method": "POST", "url": f"{server.url}/call", "json": {}}},
                {"name": "after", "request": {"url": f"{server.url}/usage"}},
            ]
        )
    assert (status, error) == ("up", None)
    assert server.answered == ["POST /login", "POST /call", "GET /usage"]
    assert server.dropped == []  # the wait dropped the pooled connection: nothing was sent on a stale one


def test_an_idempotent_request_dropped_on_a_reused_connection_is_sent_once_more() -> None:
    with short_keepalive_server(keepalive=0) as server:  # every reuse of a connection is dropped
        status, error = run(
            [{"name": "a", "request": {"url": f"{server.url}/a"}}, {"name": "b", "request": {"url": f"{server.url}/b"}}]
        )
    assert (status, error) == ("up", None)
    assert server.dropped == ["GET /b"]
    assert server.answered == ["GET /a", "GET /b"]
    assert server.connections == 2


def test_a_post_dropped_on_a_reused_connection_is_not_sent_twice() -> None:
    with short_keepalive_server(keepalive=0) as server:
        status, error = run(
            [
                {"name": "a", "request": {"url": f"{server.url}/a"}},
                {"name": "pay", "request": {"method": "POST", "url": f"{server.url}/pay", "json": {}}},
            ]
        )
    assert status == "down"
    assert error is not None
    assert error.startswith("pay: ")
    assert server.dropped == ["POST /pay"]
    assert server.answered == ["GET /a"]

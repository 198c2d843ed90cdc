"""nginx with its own prefix and config, error log at ``info``, access log in the ``combined`` format,
driven by real HTTP requests: pages that exist and do not, a denied and a rate-limited location, basic
auth with unknown users and wrong passwords, upstreams that refuse or never answer, request lines
that are not HTTP, bodies over the limit; and a reload (SIGHUP) half-way, as logrotate's would.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import random
import signal
import socket
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
from localcorpus.base import Log, Program, events, free_port, running

REQUESTS = 1400
#: One request: (method, path, headers) for the HTTP client, or raw bytes for the socket.
Plan = tuple[str, str, dict[str, str]] | bytes
CONFIG = """daemon off;
worker_processes 2;
error_log {work}/error.log info;
pid {work}/nginx.pid;
events {{ worker_connections 256; }}
http {{
    access_log {work}/access.log combined;
    client_body_temp_path {work}/tmp/body; proxy_temp_path {work}/tmp/proxy;
    fastcgi_temp_path {work}/tmp/fastcgi; uwsgi_temp_path {work}/tmp/uwsgi; scgi_temp_path {work}/tmp/scgi;
    client_max_body_size 1k;
    large_client_header_buffers 2 1k;
    limit_req_zone $server_port zone=burst:1m rate=2r/s;
    server {{
        listen 127.0.0.1:{port};
        root {work}/www;
        location /private/ {{ deny all; }}
        location /limited/ {{ limit_req zone=burst burst=2 nodelay; }}
        location /admin/ {{ auth_basic "admin"; auth_basic_user_file {work}/htpasswd; }}
        location /api/ {{ proxy_pass http://127.0.0.1:{refused}; }}
        location /slow/ {{ proxy_pass http://127.0.0.1:{silent}; proxy_read_timeout 300ms; }}
        location /php/ {{ fastcgi_pass 127.0.0.1:{refused}; }}
    }}
}}
"""
PAGES = ("index.html", "about.html", "docs/guide.html", "img/logo.png", "private/keys.txt", "limited/feed.xml")
USERS = ("admin", "ops", "backup", "root", "deploy", "guest")
AGENTS = ("curl/7.88.1", "Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0", "python-httpx/0.27")


def produce(work: Path, rng: random.Random) -> None:
    port, refused = free_port(), free_port()
    for page in PAGES:
        (work / "www" / page).parent.mkdir(parents=True, exist_ok=True)
        (work / "www" / page).write_text(f"<p>{page}</p>\n")
    (work / "www" / "docs" / "empty").mkdir()
    (work / "tmp").mkdir()
    digest = base64.b64encode(hashlib.sha1(b"ops-password").digest()).decode()  # htpasswd's {SHA} scheme
    (work / "htpasswd").write_text(f"ops:{{SHA}}{digest}\n")
    with _silent_upstream() as silent:
        (work / "nginx.conf").write_text(CONFIG.format(work=work, port=port, refused=refused, silent=silent))
        argv = ["/usr/sbin/nginx", "-p", str(work), "-c", str(work / "nginx.conf")]
        sessions: list[tuple[str, list[Plan]]] = []
        while sum(len(plans) for _, plans in sessions) < REQUESTS:
            source = f"127.0.{rng.randint(0, 3)}.{rng.randint(2, 254)}"
            sessions.append((source, [_plan(rng) for _ in range(rng.randint(1, 16))]))
        half = len(sessions) // 2
        with running(argv, port=port) as nginx, ThreadPoolExecutor(6) as pool:
            list(pool.map(lambda session: _session(port, *session), sessions[:half]))
            nginx.send_signal(signal.SIGHUP)
            list(pool.map(lambda session: _session(port, *session), sessions[half:]))


@contextlib.contextmanager
def _silent_upstream() -> Iterator[int]:
    """A port that accepts connections and never answers (nginx's proxy_read_timeout fires)."""
    server = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            with contextlib.suppress(TimeoutError):
                held.append(server.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join()
        for sock in [*held, server]:
            sock.close()


def _plan(rng: random.Random) -> Plan:
    """One request: (method, path, headers) for the HTTP client, or raw bytes for the socket."""
    headers = {"User-Agent": rng.choice(AGENTS)}
    if rng.random() < 0.3:
        headers["Referer"] = f"http://example.{rng.choice(['com', 'org'])}/{rng.randint(1, 500)}"
    kind = rng.choices(
        ["page", "missing", "private", "limited", "admin", "api", "slow", "php", "big", "raw"],
        weights=[22, 22, 6, 8, 10, 10, 4, 6, 4, 8],
    )[0]
    if kind == "page":
        return "GET", "/" + rng.choice([*PAGES[:4], "docs/", "docs/empty/"]), headers
    if kind == "missing":
        name = rng.choice(
            ["wp-login.php", "favicon.ico", ".env", f"item/{rng.randint(1, 9999)}", f"u{rng.randint(1, 99)}.html"]
        )
        return rng.choice(["GET", "GET", "HEAD", "POST"]), f"/{name}", headers
    if kind == "admin":
        user = rng.choice(USERS)
        password = "ops-password" if user == "ops" and rng.random() < 0.5 else f"pw{rng.randint(1, 999)}"
        auth = httpx.BasicAuth(user, password).auth_flow(httpx.Request("GET", "/")).__next__().headers
        return "GET", "/admin/" + rng.choice(["", "stats", "users"]), {**headers, **dict(auth)}
    if kind == "big":
        return "POST", f"/api/upload/{rng.randint(1, 99)}", {**headers, "X-Body": str(rng.randint(2, 64) * 1024)}
    if kind == "raw":
        return rng.choice(
            [
                b"HELLO\r\n\r\n",
                b"GET /\x01\x02 HTTP/1.1\r\n\r\n",
                b"GET / HTTP/1.1\r\n\r\n",
                b"GET / HTTP/9.9\r\nHost: x\r\n\r\n",
                b"GET /" + b"a" * rng.randint(1100, 3000) + b" HTTP/1.1\r\nHost: x\r\n\r\n",
                b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
                b"GET /index.html HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n",
            ]
        )
    path = {
        "private": "/private/keys.txt",
        "limited": "/limited/feed.xml",
        "api": f"/api/v1/items/{rng.randint(1, 500)}",
        "slow": f"/slow/report?id={rng.randint(1, 99)}",
        "php": f"/php/index.php?page={rng.randint(1, 40)}",
    }[kind]
    return rng.choice(["GET", "GET", "POST"]), path, headers


def _session(port: int, source: str, plans: list[Plan]) -> None:
    """One client at ``source`` (any 127.0.0.0/8 address is this host): its requests on a kept-alive connection."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(transport=transport, timeout=5, base_url=f"http://127.0.0.1:{port}") as client:
        for plan in plans:
            if isinstance(plan, bytes):
                with socket.create_connection(("127.0.0.1", port), timeout=3, source_address=(source, 0)) as sock:
                    sock.sendall(plan)
                    with contextlib.suppress(OSError):
                        sock.recv(4096)
                continue
            method, path, headers = plan
            body = b"x" * int(headers.pop("X-Body", "0"))
            with contextlib.suppress(httpx.HTTPError):
                client.request(method, path, headers=headers, content=body or None)


# ngx_log.c ngx_log_error_core: "TIME [level] PID#TID: " and "*CONN " when a connection logs; after the
# format string it appends " (errno: strerror)", the action (" while ...") and the request's context
# (", client: ..., server: ..., request: ..."), which are not part of the format string.
ERROR_HEADER = r"\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[[a-z]+\] \d+#\d+: (?:\*\d+ )?"
CONTEXT = r"(?: \(\d+: [^)]*\))?(?: while [^,]*)?(?:, client: .*)?"
ERRORS = [
    ('using the "%s" event method', r'using the "\w+" event method'),  # event/ngx_event.c ngx_event_process_init
    ("nginx/%s", r"nginx/[\d.]+"),  # os/unix/ngx_posix_init.c ngx_os_status (NGINX_VER)
    ("OS: %s %s", r"OS: \S+ \S+"),  # os/unix/ngx_linux_init.c ngx_os_specific_status
    # os/unix/ngx_posix_init.c ngx_os_status
    ("getrlimit(RLIMIT_NOFILE): %r:%r", r"getrlimit\(RLIMIT_NOFILE\): \d+:\d+"),
    ("start worker processes", r"start worker processes"),  # os/unix/ngx_process_cycle.c ngx_master_process_cycle
    ("start %s %P", r"start worker process \d+"),  # os/unix/ngx_process.c ngx_spawn_process
    # os/unix/ngx_process.c ngx_signal_handler
    ("signal %d (%s) received from %P%s", r"signal \d+ \(\w+\) received from \d+(?:, \w+)?"),
    ("signal %d (%s) received%s", r"signal \d+ \(\w+\) received(?:, \w+)?"),  # os/unix/ngx_process.c ngx_signal_handler
    ("reconfiguring", r"reconfiguring"),  # os/unix/ngx_process_cycle.c ngx_master_process_cycle
    ("gracefully shutting down", r"gracefully shutting down"),  # os/unix/ngx_process_cycle.c ngx_worker_process_cycle
    ("exiting", r"exiting"),  # os/unix/ngx_process_cycle.c ngx_worker_process_cycle
    ("exit", r"exit"),  # os/unix/ngx_process_cycle.c ngx_master_process_exit and ngx_worker_process_exit: the same text
    # os/unix/ngx_process.c ngx_process_get_status
    ("%s %P exited with code %d", r"worker process \d+ exited with code \d+"),
    ("client closed connection", r"client closed connection"),  # http/ngx_http_request.c ngx_http_wait_request_handler
    # http/ngx_http_request.c ngx_http_set_keepalive
    ("client %V closed keepalive connection", r"client \S+ closed keepalive connection"),
    ('open() "%s" failed', r'open\(\) ".*" failed'),  # http/modules/ngx_http_static_module.c ngx_http_static_handler
    ('"%s" is not found', r'".*" is not found'),  # http/modules/ngx_http_index_module.c ngx_http_index_error
    # http/modules/ngx_http_index_module.c ngx_http_index_handler
    ('directory index of "%s" is forbidden', r'directory index of ".*" is forbidden'),
    # http/modules/ngx_http_access_module.c ngx_http_access_found
    ("access forbidden by rule", r"access forbidden by rule"),
    # http/modules/ngx_http_auth_basic_module.c ngx_http_auth_basic_handler
    ('user "%V" was not found in "%s"', r'user ".*" was not found in ".*"'),
    # http/modules/ngx_http_auth_basic_module.c ngx_http_auth_basic_crypt_handler
    ('user "%V": password mismatch', r'user ".*": password mismatch'),
    # http/modules/ngx_http_limit_req_module.c ngx_http_limit_req_handler
    ('limiting requests, excess: %ui.%03ui by zone "%V"', r'limiting requests, excess: [\d.]+ by zone ".*"'),
    # http/ngx_http_core_module.c ngx_http_core_find_config_phase
    ("client intended to send too large body: %O bytes", r"client intended to send too large body: \d+ bytes"),
    ("connect() failed", r"connect\(\) failed"),  # event/ngx_event_connect.c ngx_event_connect_peer
    ("upstream timed out", r"upstream timed out"),  # http/ngx_http_upstream.c ngx_http_upstream_next
    # http/ngx_http_request.c: ngx_http_client_errors[] (ngx_http_process_request_line), one literal each
    ("client sent invalid method", r"client sent invalid method"),
    ("client sent invalid request", r"client sent invalid request"),
    ("client sent invalid version", r"client sent invalid version"),
    ("client sent too long URI", r"client sent too long URI"),  # http/ngx_http_request.c ngx_http_process_request_line
    # http/ngx_http_request.c ngx_http_process_request_header
    ('client sent HTTP/1.1 request without "Host" header', r'client sent HTTP/1\.1 request without "Host" header'),
    # http/ngx_http_request.c ngx_http_read_request_header
    ("client prematurely closed connection", r"client prematurely closed connection"),
    ("client timed out", r"client timed out"),  # http/ngx_http_request.c ngx_http_read_request_header
]
#: ngx_http_log_module.c ngx_http_combined_fmt: $remote_addr - $remote_user [$time_local] "$request"
#: $status $body_bytes_sent "$http_referer" "$http_user_agent": one format, one event.
QUOTED = r'"(?:[^"\\]|\\.)*"'
COMBINED = [("combined", rf"\S+ - \S+ \[[^\]]+\] {QUOTED} \d{{3}} \d+ {QUOTED} {QUOTED}")]

PROGRAM = Program(
    name="nginx",
    packages=("nginx",),
    produce=produce,
    logs=(
        Log("nginx-error", "error.log", events(ERROR_HEADER, ERRORS, CONTEXT)),
        Log("nginx-access", "access.log", events("", COMBINED)),
    ),
)

"""Every shipped dataset's pipeline against real-looking samples: expected fields, and failures kept."""

from __future__ import annotations

from typing import Any

import pytest

from grokpipe.indexer.fields import get
from grokpipe.indexer.pipeline import Router

SHIPPER_TS = "2026-11-22T09:00:00.000Z"

NGINX_FATAL = (
    '2026/11/22 08:15:08 [error] 1234#1234: *88 FastCGI sent in stderr: "PHP message: PHP Fatal error:  '
    "Uncaught Error: Call to a member function getTotal() on null in /var/www/shop/src/Cart.php:57\n"
    "Stack trace:\n#0 /var/www/shop/public/cart.php(12): Shop\\Cart->summary()\n#1 {main}\n"
    '  thrown in /var/www/shop/src/Cart.php on line 57" while reading response header from upstream, '
    'client: 198.51.100.23, server: shop.example.com, request: "GET /cart.php HTTP/1.1", '
    'upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock:", host: "shop.example.com"'
)
NGINX_ON_LINE = (
    '2026/11/22 08:19:44 [error] 1234#1234: *102 FastCGI sent in stderr: "PHP message: PHP Fatal error:  '
    "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in "
    '/var/www/shop/src/Report/Export.php on line 210" while reading response header from upstream, '
    'client: 203.0.113.7, server: shop.example.com, request: "GET /admin/export.php HTTP/1.1"'
)
PHP_UNCAUGHT = (
    "[22-Nov-2026 08:21:00 UTC] PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [2002] Connection refused"
    " in /var/www/shop/src/Db.php:23\nStack trace:\n#0 /var/www/shop/src/Db.php(23): PDO->__construct('mysql:h')\n"
    "#1 {main}\n  thrown in /var/www/shop/src/Db.php on line 23"
)
PY_TRACEBACK = (
    "2026-11-22 08:15:08,123 ERROR billing.invoice Failed to price order 42\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/billing/app.py", line 10, in run\n    price(order)\n'
    '  File "/srv/billing/pricing.py", line 31, in price\n    return total / count\n'
    "ZeroDivisionError: division by zero"
)
JAVA_TRACE = (
    "2026-11-22 08:15:08.123 ERROR [http-nio-8080-exec-1] com.example.shop.CartController - Request failed\n"
    'java.lang.NullPointerException: Cannot invoke "Cart.total()" because "cart" is null\n'
    "\tat com.example.shop.CartController.view(CartController.java:57)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)"
)
GUNICORN = (
    '{"remote_ip":"10.1.2.3","request_id":"abc-1","response_code":"500","request_method":"GET",'
    '"request_path":"/api/items","request_querystring":"page=2","request_timetaken":"15320","response_length":"32",'
    '"http_referer":"-","http_user_agent":"python-requests/2.31","time":"[22/Nov/2026:08:15:08 +0000]"}'
)
NGINX_JSON = (
    '{"time_iso8601":"2026-11-22T08:15:08+00:00","remote_addr":"198.51.100.4","remote_user":"",'
    '"request":"GET /index.html HTTP/1.1","status":"404","body_bytes_sent":"153","request_time":"0.001",'
    '"http_referer":"","http_user_agent":"curl/8.5.0"}'
)

CASES: list[tuple[str, str, dict[str, Any]]] = [
    (
        "nginx.access",
        '203.0.113.9 - alice [22/Nov/2026:08:15:08 +0100] "POST /api/v1/cart?id=3 HTTP/2.0" 201 512 '
        '"https://shop.example.com/" "Mozilla/5.0 (X11; Linux x86_64)" 0.042',
        {
            "@timestamp": "2026-11-22T07:15:08.000Z",
            "source.ip": "203.0.113.9",
            "user.name": "alice",
            "http.request.method": "POST",
            "url.original": "/api/v1/cart?id=3",
            "url.path": "/api/v1/cart",
            "url.query": "id=3",
            "http.request.duration": 0.042,
            "http.version": "2.0",
            "http.response.status_code": 201,
            "http.response.body.bytes": 512,
            "http.request.referrer": "https://shop.example.com/",
            "user_agent.original": "Mozilla/5.0 (X11; Linux x86_64)",
            "tags": None,
        },
    ),
    (
        "nginx.access",
        NGINX_JSON,
        {
            "@timestamp": "2026-11-22T08:15:08.000Z",
            "source.ip": "198.51.100.4",
            "http.request.method": "GET",
            "url.original": "/index.html",
            "url.path": "/index.html",
            "http.request.duration": 0.001,
            "http.response.status_code": 404,
            "http.response.body.bytes": 153,
            "user_agent.original": "curl/8.5.0",
            "user.name": None,
            "nginx.json": None,
        },
    ),
    (
        "apache.access",
        '10.0.0.1 - - [22/Nov/2026:08:15:08 +0100] "GET http://shop.example.com/cart.php?id=4 HTTP/1.1" 200 5120 '
        '"-" "curl/8.5.0" 152340',
        {
            "url.original": "http://shop.example.com/cart.php?id=4",
            "url.path": "/cart.php",
            "url.query": "id=4",
            "http.request.duration": 0.15234,
            "apache": None,
            "tags": None,
        },
    ),
    ("nginx.access", "garbage line", {"tags": ["_grokparsefailure"], "@timestamp": SHIPPER_TS}),
    (
        "nginx.error",
        NGINX_FATAL,
        {
            "@timestamp": "2026-11-22T08:15:08.000Z",
            "log.level": "critical",  # a PHP fatal error is critical whichever log it came through
            "process.pid": 1234,
            "error.type": "Error",
            "error.message": "Call to a member function getTotal() on null",
            "log.origin.file.name": "/var/www/shop/src/Cart.php",
            "log.origin.file.line": 57,
            "source.ip": "198.51.100.23",
            "url.original": "/cart.php",
            "tags": ["php"],
        },
    ),
    (
        "nginx.error",
        NGINX_ON_LINE,
        {
            "error.type": "Fatal error",
            "log.origin.file.name": "/var/www/shop/src/Report/Export.php",
            "log.origin.file.line": 210,
            "source.ip": "203.0.113.7",
        },
    ),
    (
        "nginx.error",
        '2026/11/22 08:16:31 [error] 1234#1234: *91 open() "/var/www/wp-login.php" failed (2: No such file or '
        'directory), client: 192.0.2.200, server: shop.example.com, request: "GET /wp-login.php HTTP/1.1"',
        {
            "log.level": "error",
            "source.ip": "192.0.2.200",
            "error.type": None,
            # an error without a file and line groups by its masked message, nginx's context cut off
            "error.message": 'open() "/var/www/wp-login.php" failed (2: No such file or directory)',
            "error.title": "open() <str> failed (<int>: No such file or directory)",
            "error.culprit": "nginx.error",
        },
    ),
    (
        "apache.access",
        'example.org - - [22/Nov/2026:08:15:08 +0000] "GET / HTTP/1.0" 304 -',
        {"source.domain": "example.org", "http.response.status_code": 304, "http.response.body.bytes": None},
    ),
    (
        "apache.error",
        "[Sun Nov 22 08:15:08.123456 2026] [proxy_fcgi:error] [pid 4242:tid 140] [client 203.0.113.5:50412] "
        "AH01071: Got error 'PHP message: PHP Warning:  Undefined variable $x in /var/www/html/index.php on line 7'",
        {
            "@timestamp": "2026-11-22T08:15:08.123Z",
            "log.level": "error",
            "process.pid": 4242,
            "source.ip": "203.0.113.5",
            "source.port": 50412,
            "error.code": "AH01071",
            "error.type": "Warning",
            "log.origin.file.line": 7,
        },
    ),
    (
        "php.error",
        '[22-Nov-2026 08:17:40 Europe/Berlin] PHP Warning:  Undefined array key "discount" in '
        "/var/www/shop/src/Pricing.php on line 88",
        {
            "@timestamp": "2026-11-22T07:17:40.000Z",
            "log.level": "warning",
            "error.type": "Warning",
            "error.message": 'Undefined array key "discount"',
            "log.origin.file.line": 88,
        },
    ),
    (
        "php.error",
        "[22-Nov-2026 08:17:41 UTC] PHP Notice:  Only variables should be passed by reference in /var/U.php on line 4",
        {"log.level": "notice", "error.type": "Notice"},
    ),
    (
        "php.error",
        '[22-Nov-2026 08:18:02 UTC] PHP Parse error:  syntax error, unexpected token "}" in /var/www/H.php on line 31',
        {"log.level": "critical", "error.type": "Parse error", "log.origin.file.name": "/var/www/H.php"},
    ),
    (
        "php.error",
        PHP_UNCAUGHT,
        {
            "log.level": "critical",
            "error.type": "PDOException",
            "error.message": "SQLSTATE[HY000] [2002] Connection refused",
            "log.origin.file.name": "/var/www/shop/src/Db.php",
            "log.origin.file.line": 23,
        },
    ),
    ("php.error", "[99-Foo-2026 08:18:02 UTC] PHP Notice:  x in /a.php on line 1", {"tags": ["_grokparsefailure"]}),
    (
        "php.error",
        "[22-Nov-2026 08:18:03] ERROR: unable to bind listening socket for address '/run/php/php-fpm.sock': "
        "Address already in use (98)",
        {
            "@timestamp": "2026-11-22T08:18:03.000Z",
            "log.level": "error",  # php-fpm's own log: an error line without a file, grouped by its message
            "error.title": "unable to bind listening socket for address <str>: Address already in use (<int>)",
            "error.culprit": "php.error",
        },
    ),
    (
        "syslog",
        "Failed password for invalid user admin from 192.0.2.44 port 52814 ssh2",
        {"user.name": "admin", "source.ip": "192.0.2.44", "source.port": 52814, "event.outcome": "failure"},
    ),
    (
        "syslog",
        "Accepted publickey for deploy from 198.51.100.2 port 40022 ssh2: ED25519 SHA256:abc",
        {"user.name": "deploy", "event.outcome": "success", "event.category": ["authentication"]},
    ),
    (
        "syslog",
        "alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/systemctl restart x",
        {
            "user.name": "alice",
            "user.effective.name": "root",
            "process.command_line": "/usr/bin/systemctl restart x",
        },
    ),
    (
        "syslog",
        "(root) CMD (run-parts /etc/cron.hourly)",
        {"user.name": "root", "process.command_line": "run-parts /etc/cron.hourly"},
    ),
    (
        "syslog",
        "[12345.678901] Out of memory: Killed process 4242 (php-fpm)",
        {"kernel.uptime": 12345.678901, "tags": None},
    ),
    ("docker", '{"level":"error","msg":"db timeout"}', {"log.level": "error", "message": "db timeout"}),
    ("docker", "WARN cache miss ratio high", {"log.level": "warn"}),
    (
        "gunicorn.access",
        GUNICORN,
        {
            "@timestamp": "2026-11-22T08:15:08.000Z",
            "source.ip": "10.1.2.3",
            "http.request.method": "GET",
            "url.path": "/api/items",
            "http.response.status_code": 500,
            "http.response.body.bytes": 32,
            "event.duration": 15_320_000,
            "http.request.duration": 0.01532,
            "http.request.referrer": None,
            "gunicorn": None,
        },
    ),
    ("gunicorn.access", "{not json", {"tags": ["_jsonparsefailure"]}),
    (
        "python.traceback",
        PY_TRACEBACK,
        {
            "@timestamp": "2026-11-22T08:15:08.123Z",
            "log.level": "error",
            "error.type": "ZeroDivisionError",
            "error.message": "division by zero",
            "log.origin.file.name": "/srv/billing/pricing.py",
            "log.origin.file.line": 31,
        },
    ),
    (
        "python.traceback",
        "2026-11-22 08:15:09,001 INFO billing.invoice priced order 43",
        {"log.level": "info", "log.message": "priced order 43", "error": None},
    ),
    (
        "java.stacktrace",
        JAVA_TRACE,
        {
            "log.level": "error",
            "error.type": "java.lang.NullPointerException",
            "log.origin.file.name": "com/example/shop/CartController.java",  # package path: git blame finds it
            "log.origin.function": "com.example.shop.CartController.view",
            "error.culprit": "com.example.shop.CartController.view",
            "log.origin.file.line": 57,
            "process.thread.name": "http-nio-8080-exec-1",
        },
    ),
    ("custom.unknown", "hello", {"@timestamp": SHIPPER_TS, "message": "hello", "tags": None, "log": None}),
]


@pytest.fixture(scope="module")
def router() -> Router:
    return Router.load()


def run(router: Router, dataset: str, message: str) -> dict[str, Any]:
    return router({"@timestamp": SHIPPER_TS, "message": message, "event": {"dataset": dataset}})


@pytest.mark.parametrize(("dataset", "message", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_dataset_samples(router: Router, dataset: str, message: str, expected: dict[str, Any]) -> None:
    event = run(router, dataset, message)
    assert {path: get(event, path) for path in expected} == expected
    # the line is always kept: as the message, or (a JSON line with a message key) as event.original
    assert message in (event["message"], event["event"].get("original"))


def test_error_events_have_a_grouping_key(router: Router) -> None:
    for dataset, message, expected in CASES:
        if expected.get("error.type") and dataset not in ("docker",):
            assert len(get(run(router, dataset, message), "error.grouping_key")) == 32, (dataset, message)


def test_same_php_fatal_groups_together_via_nginx_and_php_fpm(router: Router) -> None:
    php = run(
        router,
        "php.error",
        "[22-Nov-2026 09:00:00 UTC] PHP Fatal error:  Uncaught Error: Call to a member function getTotal() on null"
        " in /var/www/shop/src/Cart.php:57\nStack trace:\n#0 {main}",
    )
    nginx = run(router, "nginx.error", NGINX_FATAL)
    assert get(php, "error.grouping_key") == get(nginx, "error.grouping_key")
    elsewhere = run(router, "nginx.error", NGINX_FATAL.replace("Cart.php:57", "Cart.php:58"))
    assert get(elsewhere, "error.grouping_key") != get(nginx, "error.grouping_key")

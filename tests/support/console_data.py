"""Realistic error events for the console tests (and the README screenshot): a PHP shop, a Python
billing job, a Java auth service and nginx in front, over the 14 days before ``T0``."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from grokpipe.api.groups.stats import iso
from support.api import doc


@dataclass(frozen=True)
class Kind:
    title: str
    type: str
    culprit: str
    level: str
    dataset: str
    message: str
    host: str
    #: (hours before T0, events) pairs
    bursts: tuple[tuple[float, int], ...]

    @property
    def key(self) -> str:
        return hashlib.blake2b(self.title.encode(), digest_size=16).hexdigest()


KINDS = [
    Kind(
        "PDOException: SQLSTATE[HY000] [2002] Connection refused",
        "PDOException",
        "/var/www/shop/src/Db/Connection.php:88",
        "critical",
        "php.error",
        "PHP Fatal error:  Uncaught PDOException: SQLSTATE[HY000] [2002] Connection refused in "
        "/var/www/shop/src/Db/Connection.php:88\nStack trace:\n#0 /var/www/shop/src/Db/Connection.php(88): "
        "PDO->__construct('mysql:host=db-1...', 'shop', Object(SensitiveParameterValue))\n"
        "#1 /var/www/shop/src/Cart/Repository.php(31): Shop\\Db\\Connection->pdo()\n#2 {main}\n  thrown in "
        "/var/www/shop/src/Db/Connection.php on line 88",
        "web-1",
        ((0.2, 9), (1.5, 14), (2.5, 6), (20, 3), (70, 2), (200, 4)),
    ),
    Kind(
        "Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes)",
        "E_ERROR",
        "/var/www/shop/vendor/dompdf/dompdf/src/Renderer.php:211",
        "critical",
        "php.error",
        "PHP Fatal error:  Allowed memory size of 134217728 bytes exhausted (tried to allocate 20480 bytes) in "
        "/var/www/shop/vendor/dompdf/dompdf/src/Renderer.php on line 211",
        "web-2",
        ((3, 2), (9, 3), (30, 2), (100, 5), (300, 3)),
    ),
    Kind(
        "KeyError: 'customer_id'",
        "KeyError",
        "billing/invoices.py in build_invoice",
        "error",
        "python",
        'Traceback (most recent call last):\n  File "/srv/billing/billing/jobs.py", line 54, in run\n'
        '    invoice = build_invoice(order)\n  File "/srv/billing/billing/invoices.py", line 112, in '
        "build_invoice\n    customer = customers[order['customer_id']]\nKeyError: 'customer_id'",
        "jobs-1",
        ((5, 4), (29, 4), (53, 4), (77, 4)),
    ),
    Kind(
        'NullPointerException: Cannot invoke "String.length()" because "token" is null',
        "java.lang.NullPointerException",
        "com.example.auth.TokenFilter.doFilter(TokenFilter.java:57)",
        "error",
        "java",
        'java.lang.NullPointerException: Cannot invoke "String.length()" because "token" is null\n'
        "\tat com.example.auth.TokenFilter.doFilter(TokenFilter.java:57)\n"
        "\tat org.springframework.web.filter.OncePerRequestFilter.doFilter(OncePerRequestFilter.java:116)",
        "auth-1",
        ((0.6, 3), (11, 1)),
    ),
    Kind(
        "upstream timed out (110: Connection timed out) while reading response header from upstream",
        "upstream_timeout",
        "upstream: fastcgi://unix:/run/php/php8.2-fpm.sock",
        "error",
        "nginx.error",
        "2026/01/05 11:51:02 [error] 811#811: *40213 upstream timed out (110: Connection timed out) while "
        'reading response header from upstream, client: 203.0.113.7, server: shop.example.com, request: "GET '
        '/checkout HTTP/1.1", upstream: "fastcgi://unix:/run/php/php8.2-fpm.sock"',
        "web-1",
        ((0.15, 5), (1.4, 8), (26, 2)),
    ),
    Kind(
        'Undefined array key "sku"',
        "E_WARNING",
        "/var/www/shop/src/Cart/Line.php:42",
        "warning",
        "php.error",
        'PHP Warning:  Undefined array key "sku" in /var/www/shop/src/Cart/Line.php on line 42',
        "web-2",
        ((4, 2), (40, 1), (180, 2)),
    ),
    Kind(
        "ValueError: invalid literal for int() with base 10: ''",
        "ValueError",
        "billing/import_rates.py in parse_row",
        "error",
        "python",
        'Traceback (most recent call last):\n  File "/srv/billing/billing/import_rates.py", line 23, in '
        "parse_row\n    return int(row['rate'])\nValueError: invalid literal for int() with base 10: ''",
        "jobs-1",
        ((250, 3),),
    ),
]


def events(t0: datetime) -> list[dict[str, Any]]:
    """Every kind's bursts as documents, ingested a second after their timestamp (so they settle)."""
    out: list[dict[str, Any]] = []
    for kind in KINDS:
        for hours, n in kind.bursts:
            for i in range(n):
                at = t0 - timedelta(hours=hours, minutes=i * 3)
                eid = uuid.uuid4().hex
                out.append(
                    doc(
                        at,
                        _id=eid,
                        event__id=eid,
                        event__ingested=iso(at + timedelta(seconds=1)),
                        event__dataset=kind.dataset,
                        error__grouping_key=kind.key,
                        error__title=kind.title,
                        error__type=kind.type,
                        error__culprit=kind.culprit,
                        log__level=kind.level,
                        host__name=kind.host,
                        message=kind.message,
                    )
                )
    return out

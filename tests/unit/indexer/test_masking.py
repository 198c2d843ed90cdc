"""Masking: each kind of variable part becomes its placeholder; the words around it stay."""

from __future__ import annotations

import pytest

from grokpipe.indexer.masking import mask

CASES = [
    # the example line
    ("connect to 10.0.0.3:5432 timed out after 3000ms", "connect to <host:port> timed out after <duration>"),
    # numbers
    ("Allowed memory size of 134217728 bytes exhausted", "Allowed memory size of <int> bytes exhausted"),
    ("Invoice 88121 failed", "Invoice <int> failed"),
    ("ratio 0.75 over HTTP/1.1", "ratio <float> over HTTP/<float>"),
    ("count 42.", "count <int>."),
    ("SQLSTATE[HY000] [2002] Connection refused", "SQLSTATE[HY000] [<int>] Connection refused"),
    ("php8.2-fpm worker_3 user42", "php8.2-fpm worker_3 user42"),  # numbers inside words are names
    # hex ids, uuids
    ("Object 0x7f3a9c2b1d00 freed twice", "Object <hex> freed twice"),
    ("request 9f86d081884c7d65 failed", "request <hex> failed"),
    ("container abc123def456 exited", "container <hex> exited"),
    ("user 123e4567-e89b-12d3-a456-426614174000 not found", "user <uuid> not found"),
    # addresses
    ("peer 192.0.2.44 refused", "peer <ip> refused"),
    ("peer fe80::1%eth0 and 2001:db8::42", "peer <ip> and <ip>"),
    (
        "redis at cache.internal:6379 and localhost:8080 and [::1]:80",
        "redis at <host:port> and <host:port> and <host:port>",
    ),
    ("db:5432 and retry:3", "db:<int> and retry:<int>"),  # one word before a colon: not surely a host
    ("in /var/www/Cart.php:57", "in /var/www/Cart.php:<int>"),  # a file and line, not a host and port
    ("Shop\\Db::connect() and Cafe::add()", "Shop\\Db::connect() and Cafe::add()"),
    ("mail to bob.smith+x@example.co.uk bounced", "mail to <email> bounced"),
    ("GET https://api.example.com/v1/items?id=3 failed", "GET <url> failed"),
    # quoted strings, not apostrophes
    ('Undefined array key "discount"', "Undefined array key <str>"),
    ("user 'bob' not found, can't retry", "user <str> not found, can't retry"),
    ("unknown column `total`", "unknown column <str>"),
    # dates and times
    ("batch 2026-11-22 done", "batch <date> done"),
    ("at 2026-11-22T08:15:08.123Z", "at <date>"),
    ("at 2026-11-22 08:15:10,331", "at <date>"),
    ("since 2026/11/22 08:15:08", "since <date>"),
    ("since 22/Nov/2026:08:15:08 +0000", "since <date>"),
    ("since 22-Nov-2026 08:15:08", "since <date>"),
    ("since Sun, 22 Nov 2026 08:00:00 GMT", "since <date>"),
    ("since Nov 22 08:15:08", "since <date>"),
    ("at 08:15:08 sharp", "at <date> sharp"),
    # durations
    ("retry in 1.5s then 2m then 1h30m", "retry in <duration> then <duration> then <duration>"),
    ("took 250 ms, then 30 seconds", "took <duration>, then <duration>"),
    # whitespace
    ("a   b\tc", "a b c"),
    ("Call to a member function getTotal() on null", "Call to a member function getTotal() on null"),
]


@pytest.mark.parametrize(("message", "masked"), CASES, ids=[c[0][:40] for c in CASES])
def test_mask(message: str, masked: str) -> None:
    assert mask(message) == masked


def test_masking_is_idempotent() -> None:
    for message, _ in CASES:
        assert mask(mask(message)) == mask(message)

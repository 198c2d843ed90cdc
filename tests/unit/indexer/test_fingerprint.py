"""Fingerprints: the same error keys the same, different errors differently, titles and culprits read well."""

from __future__ import annotations

import pytest

from grokpipe.indexer.fingerprint import ErrorFacts, Grouping, fingerprint

PY = (
    "Traceback (most recent call last):\n"
    '  File "/srv/billing/worker.py", line 77, in process\n'
    "    total = compute_total(invoice)\n"
    '  File "/srv/billing/pricing.py", line {line}, in compute_total\n'
    "    return fetch(invoice)\n"
    '  File "/srv/venv/lib/python3.11/site-packages/requests/api.py", line 73, in get\n'
    "    return request('get', url)\n"
)
JAVA = (
    "\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)\n"
    "\tat com.example.shop.CartController.view(CartController.java:{line})\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)"
)


def python(message: str = "invoice 1 failed", line: int = 31, error_type: str = "KeyError") -> ErrorFacts:
    return ErrorFacts(type=error_type, message=message, stack_trace=PY.format(line=line), level="error")


def java(message: str = 'Cannot invoke "Cart.total()"', line: int = 57) -> ErrorFacts:
    return ErrorFacts(type="java.lang.NullPointerException", message=message, stack_trace=JAVA.format(line=line))


def php(message: str = "Call to a member function getTotal() on null", line: int = 57) -> ErrorFacts:
    return ErrorFacts(type="Error", message=message, file="/var/www/shop/src/Cart.php", line=line, level="critical")


def plain(text: str, logger: str = "billing.db", level: str = "error") -> ErrorFacts:
    return ErrorFacts(text=text, logger=logger, level=level, dataset="python.traceback")


def key(facts: ErrorFacts) -> str:
    found = fingerprint(facts)
    assert found is not None
    return found.key


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (python("invoice 1 failed"), python("invoice 99 failed")),  # ids in the message
        (python(line=31), python(line=35)),  # a deploy moved the code: same frame, other line
        (java(line=57), java(line=61)),
        (java('Cannot invoke "Cart.total()"'), java('Cannot invoke "Order.sum()"')),
        (php("Allowed memory size of 1 bytes"), php("Allowed memory size of 2 bytes exhausted (truncated by ngi")),
        (
            plain("connect to 10.0.0.3:5432 timed out after 3000ms"),
            plain("connect to 10.0.0.7:5433 timed out after 2500ms"),
        ),
        (
            plain("user 123e4567-e89b-12d3-a456-426614174000 gone"),
            plain("user 00000000-e89b-12d3-a456-426614174000 gone"),
        ),
    ],
)
def test_same_error_same_key(a: ErrorFacts, b: ErrorFacts) -> None:
    assert key(a) == key(b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (php(line=57), php(line=58)),  # PHP: the line is the identity
        (python(error_type="KeyError"), python(error_type="ValueError")),
        (plain("connect to db timed out"), plain("connect to cache timed out")),
        (plain("connect timed out", logger="billing.db"), plain("connect timed out", logger="billing.cache")),
        (plain("Fatal error"), php()),  # kinds never collide
    ],
)
def test_different_errors_different_keys(a: ErrorFacts, b: ErrorFacts) -> None:
    assert key(a) != key(b)


def test_python_exception() -> None:
    found = fingerprint(python("invoice 42 failed"))
    assert found is not None
    assert (found.kind, found.title, found.culprit) == (
        "exception",
        "KeyError: invoice <int> failed",
        "/srv/billing/pricing.py in compute_total",
    )
    assert found.frame is not None
    assert (found.frame.file, found.frame.line, found.frame.function) == (
        "/srv/billing/pricing.py",
        31,
        "compute_total",
    )


def test_java_exception() -> None:
    found = fingerprint(java())
    assert found is not None
    assert (found.kind, found.title, found.culprit) == (
        "exception",
        "java.lang.NullPointerException: Cannot invoke <str>",
        "com.example.shop.CartController.view",
    )


def test_java_generated_names_do_not_split_groups() -> None:
    a = "\tat com.x.Shop.lambda$checkout$0(Shop.java:10)"
    b = "\tat com.x.Shop.lambda$checkout$3(Shop.java:10)"
    error_type = "java.lang.IllegalStateException"
    assert key(ErrorFacts(type=error_type, stack_trace=a)) == key(ErrorFacts(type=error_type, stack_trace=b))


def test_php_location() -> None:
    found = fingerprint(php("Allowed memory size of 134217728 bytes exhausted"))
    assert found is not None
    assert (found.kind, found.title, found.culprit, found.frame) == (
        "location",
        "Error: Allowed memory size of <int> bytes exhausted",
        "/var/www/shop/src/Cart.php:57",
        None,
    )


def test_plain_error_line() -> None:
    found = fingerprint(plain("connect to 10.0.0.3:5432 timed out after 3000ms"))
    assert found is not None
    assert (found.kind, found.title, found.culprit) == (
        "message",
        "connect to <host:port> timed out after <duration>",
        "billing.db",
    )
    nameless = fingerprint(plain("disk full", logger=""))
    assert nameless is not None
    assert nameless.culprit == "python.traceback"  # no logger: the dataset


@pytest.mark.parametrize(
    "level", ["ERROR", "critical", "crit", "alert", "emergency", "emerg", "fatal", "SEVERE", "err"]
)
def test_error_levels_group(level: str) -> None:
    assert fingerprint(plain("boom", level=level)) is not None


@pytest.mark.parametrize("level", ["warning", "info", "debug", "notice", ""])
def test_other_levels_do_not(level: str) -> None:
    assert fingerprint(plain("boom", level=level)) is None


def test_levels_are_configurable() -> None:
    assert fingerprint(plain("boom", level="warning"), Grouping(levels=frozenset({"warning"}))) is not None
    assert fingerprint(plain("boom", level="error"), Grouping(levels=frozenset({"warning"}))) is None


def test_long_titles_are_cut() -> None:
    found = fingerprint(plain("x" * 1000))
    assert found is not None
    assert len(found.title) == 300
    assert found.title.endswith("…")


def test_keys_are_stable_across_releases() -> None:
    # saved keys: changing how they are computed splits every stored group and alert in two
    assert key(php()) == "c8fb2fb61425909a7a808c044d8ceb9a"
    assert key(python()) == "dadff0b4079c250903ded2fe2cb685d6"
    # the message kind moved to the pattern key once (issue 27: a node, host or pid no longer splits a group)
    assert key(plain("connect to 10.0.0.3:5432 timed out after 3000ms")) == "805960857aab21ab7982868b25e154eb"

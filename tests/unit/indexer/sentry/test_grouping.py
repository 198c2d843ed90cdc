"""Sentry-like grouping on payloads from the real SDK."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import sentry_sdk

from grokpipe.indexer.sentry.grouping import group, normal_file, normal_function

from . import shop
from .payloads import capture


def exception_in_checkout(order: str) -> dict[str, Any]:
    def action() -> None:
        try:
            shop.checkout(order)
        except ValueError:
            sentry_sdk.capture_exception()

    return capture(action, in_app_include=[shop.__name__])


def test_the_same_exception_with_other_ids_is_one_group() -> None:
    first, second = exception_in_checkout("A-17"), exception_in_checkout("B-99")
    assert first["exception"]["values"][-1]["value"] != second["exception"]["values"][-1]["value"]
    assert group(first, project="shop").key == group(second, project="shop").key
    assert group(first, project="shop").key != group(first, project="blog").key


def test_line_numbers_do_not_count_but_functions_and_chains_do() -> None:
    event = exception_in_checkout("A-17")
    moved = copy.deepcopy(event)
    for exc in moved["exception"]["values"]:
        for frame in exc["stacktrace"]["frames"]:
            frame["lineno"] += 40
    assert group(moved, project="shop").key == group(event, project="shop").key
    renamed = copy.deepcopy(event)
    renamed["exception"]["values"][-1]["stacktrace"]["frames"][-1]["function"] = "pay"
    assert group(renamed, project="shop").key != group(event, project="shop").key
    unchained = copy.deepcopy(event)
    unchained["exception"]["values"] = unchained["exception"]["values"][-1:]
    assert group(unchained, project="shop").key != group(event, project="shop").key
    other_language = {**event, "platform": "node"}
    assert group(other_language, project="shop").key != group(event, project="shop").key


def test_culprit_and_title() -> None:
    found = group(exception_in_checkout("A-17"), project="shop")
    assert found.culprit == f"{shop.__name__} in checkout"
    assert found.title == "ValueError: cannot check out order A-17"


def test_library_frames_do_not_count_when_the_event_has_in_app_ones() -> None:
    event = exception_in_checkout("A-17")
    other = copy.deepcopy(event)
    for exc in other["exception"]["values"]:
        exc["stacktrace"]["frames"].insert(0, {"module": "gunicorn.workers", "function": "handle", "in_app": False})
    assert group(other, project="shop").key == group(event, project="shop").key


@pytest.mark.parametrize(
    ("fingerprint", "same_as_default"), [(["{{ default }}"], True), (["{{default}}", "eu"], False), (["db"], False)]
)
def test_client_fingerprint(fingerprint: list[str], same_as_default: bool) -> None:
    event = exception_in_checkout("A-17")
    default = group(event, project="shop").key
    assert (group({**event, "fingerprint": fingerprint}, project="shop").key == default) is same_as_default
    assert (
        group({**event, "fingerprint": fingerprint}, project="shop").key
        == group({**exception_in_checkout("C-1"), "fingerprint": fingerprint}, project="shop").key
    )


def test_messages_group_by_their_template() -> None:
    import logging

    from sentry_sdk.integrations.logging import LoggingIntegration

    def logged(card: str) -> dict[str, Any]:
        log = logging.getLogger("shop.payments")
        return capture(
            lambda: log.error("payment %s declined", card),
            integrations=[LoggingIntegration(level=None, event_level=logging.ERROR)],
        )

    first, second = logged("P-1"), logged("P-2")
    assert first["logentry"]["message"] == "payment %s declined"
    assert group(first, project="shop").key == group(second, project="shop").key
    assert group(first, project="shop").title == "payment P-1 declined"
    plain = {"platform": "python", "message": "disk /dev/sda1 at 91%"}
    assert group(plain, project="shop").key == group({**plain, "message": "disk /dev/sda1 at 97%"}, project="shop").key


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("lambda$main$0", "lambda$main"),
        ("com.example.Foo$$Lambda$12/0x0000000800c02a00.run", "com.example.Foo.run"),
        ("async fetchCart [as fetch]", "fetchCart"),
        ("<object at 0x7f3a2b>", "<object at 0x>"),
        ("checkout", "checkout"),
    ],
)
def test_normal_function(name: str, expected: str) -> None:
    assert normal_function(name) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("https://shop.example/static/app.3f2a9b1c.js?v=2", "app.js"),
        ("/srv/shop/app/views.py", "views.py"),
        ("C:\\shop\\Cart.php", "Cart.php"),
        ("vendor-1.2.3.min.js", "vendor.min.js"),
    ],
)
def test_normal_file(path: str, expected: str) -> None:
    assert normal_file(path) == expected


def test_a_word_of_hex_letters_is_no_hash() -> None:
    assert normal_file("my-facade.js") == "my-facade.js"

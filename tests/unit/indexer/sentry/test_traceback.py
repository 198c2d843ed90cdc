"""Tracebacks rendered from Sentry's exception interface read like the language's own, so the
indexer's frame parsers (blame, culprit) read them as they read a log file's."""

from __future__ import annotations

from typing import Any

import sentry_sdk

from grokpipe.indexer.frames import java_frames, python_frames
from grokpipe.indexer.sentry.traceback import render

from . import shop
from .payloads import capture


def python_event() -> dict[str, Any]:
    def action() -> None:
        try:
            shop.checkout("A-17")
        except ValueError:
            sentry_sdk.capture_exception()

    return capture(action)


def test_python_chain_reads_like_python() -> None:
    event = python_event()
    text = render(event["exception"]["values"], "python")
    assert text.startswith("Traceback (most recent call last):\n")
    # the SDK does not say whether the chain was explicit (``from exc``) or implicit: Python's
    # implicit separator is used unless the mechanism's source says ``__cause__``
    assert "\nDuring handling of the above exception, another exception occurred:\n" in text
    cause = [dict(value) for value in event["exception"]["values"]]
    cause[1]["mechanism"] = {"type": "chained", "source": "__cause__"}
    assert "\nThe above exception was the direct cause of the following exception:\n" in render(cause, "python")
    assert text.endswith("\nValueError: cannot check out order A-17")
    assert "KeyError: 'order A-17 not found'" in text
    assert '    raise ValueError(f"cannot check out order {order}") from exc' in text
    [innermost, *_] = python_frames(text)
    assert innermost.function == "checkout"
    assert innermost.file.endswith("shop.py")


JAVA = [
    {"type": "SQLException", "module": "java.sql", "value": "connection reset",
     "stacktrace": {"frames": [
         {"module": "com.example.Db", "function": "query", "filename": "Db.java", "lineno": 40},
     ]}},
    {"type": "IllegalStateException", "module": "java.lang", "value": "cart is gone",
     "stacktrace": {"frames": [
         {"module": "java.lang.Thread", "function": "run", "filename": "Thread.java", "lineno": 833},
         {"module": "com.example.shop.CartController", "function": "view", "filename": "CartController.java",
          "lineno": 57},
     ]}},
]  # fmt: skip


def test_java_reads_like_java() -> None:
    text = render(JAVA, "java")
    assert text.splitlines() == [
        "java.lang.IllegalStateException: cart is gone",
        "\tat com.example.shop.CartController.view(CartController.java:57)",
        "\tat java.lang.Thread.run(Thread.java:833)",
        "Caused by: java.sql.SQLException: connection reset",
        "\tat com.example.Db.query(Db.java:40)",
    ]
    assert java_frames(text)[0].function == "com.example.shop.CartController.view"


def test_node_php_ruby() -> None:
    frames = [
        {"filename": "/app/server.js", "function": "handle", "lineno": 10, "colno": 5},
        {"filename": "/app/cart.js", "function": "load", "lineno": 3, "colno": 9},
    ]
    exc = [{"type": "TypeError", "value": "x is undefined", "stacktrace": {"frames": frames}}]
    assert render(exc, "node").splitlines() == [
        "TypeError: x is undefined",
        "    at load (/app/cart.js:3:9)",
        "    at handle (/app/server.js:10:5)",
    ]
    assert render(exc, "php").splitlines()[:3] == [
        "TypeError: x is undefined in /app/cart.js:3",
        "Stack trace:",
        "#0 /app/server.js(10): handle()",
    ]
    assert render(exc, "ruby").splitlines() == [
        "/app/cart.js:3:in `load': x is undefined (TypeError)",
        "\tfrom /app/server.js:10:in `handle'",
    ]
    assert render([], "python") == ""

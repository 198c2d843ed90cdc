"""Frames: parsed innermost first; the culprit is the innermost in-app frame."""

from __future__ import annotations

import pytest

from grokpipe.indexer.frames import (
    DEFAULT_LIBRARY_PREFIXES,
    Frame,
    culprit_frame,
    is_library,
    java_frames,
    python_frames,
)

PY_TRACE = (
    "Traceback (most recent call last):\n"
    '  File "/srv/billing/worker.py", line 77, in process\n'
    "    total = compute_total(invoice)\n"
    '  File "/srv/billing/pricing.py", line 31, in compute_total\n'
    "    return fetch(invoice)\n"
    '  File "/srv/venv/lib/python3.11/site-packages/requests/api.py", line 73, in get\n'
    "    return request('get', url)\n"
    '  File "/usr/lib/python3.11/json/decoder.py", line 355, in raw_decode\n'
    "    raise JSONDecodeError\n"
)
PY_CHAINED = (
    "Traceback (most recent call last):\n"
    '  File "/srv/app/db.py", line 10, in connect\n'
    "    sock.connect(addr)\n"
    "ConnectionRefusedError: [Errno 111] Connection refused\n"
    "\n"
    "The above exception was the direct cause of the following exception:\n"
    "\n"
    "Traceback (most recent call last):\n"
    '  File "/srv/app/views.py", line 5, in index\n'
    "    db.connect()\n"
    '  File "/srv/app/db.py", line 12, in connect\n'
    "    raise DatabaseDown() from exc\n"
)
JAVA_TRACE = (
    "\tat java.base/java.util.Objects.requireNonNull(Objects.java:233)\n"
    "\tat app//com.example.shop.Cart.total(Cart.java:88)\n"
    "\tat com.example.shop.CartController.view(CartController.java:57) ~[shop.jar:1.0]\n"
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:897)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
    "Caused by: java.sql.SQLException: timeout\n"
    "\tat com.example.shop.Db.query(Db.java:12)\n"
    "\t... 4 more"
)


def test_python_frames_innermost_first() -> None:
    frames = python_frames(PY_TRACE)
    assert [(f.file, f.line, f.function) for f in frames] == [
        ("/usr/lib/python3.11/json/decoder.py", 355, "raw_decode"),
        ("/srv/venv/lib/python3.11/site-packages/requests/api.py", 73, "get"),
        ("/srv/billing/pricing.py", 31, "compute_total"),
        ("/srv/billing/worker.py", 77, "process"),
    ]


def test_python_chained_traceback_uses_the_last_section() -> None:
    assert [(f.file, f.line) for f in python_frames(PY_CHAINED)] == [("/srv/app/db.py", 12), ("/srv/app/views.py", 5)]


def test_java_frames_of_the_top_level_exception_only() -> None:
    frames = java_frames(JAVA_TRACE)
    assert [(f.file, f.line, f.function, f.module) for f in frames] == [
        ("java/util/Objects.java", 233, "java.util.Objects.requireNonNull", "java.util.Objects"),
        ("com/example/shop/Cart.java", 88, "com.example.shop.Cart.total", "com.example.shop.Cart"),
        (
            "com/example/shop/CartController.java",
            57,
            "com.example.shop.CartController.view",
            "com.example.shop.CartController",
        ),
        (
            "org/springframework/web/servlet/FrameworkServlet.java",
            897,
            "org.springframework.web.servlet.FrameworkServlet.service",
            "org.springframework.web.servlet.FrameworkServlet",
        ),
        ("java/lang/Thread.java", 1583, "java.lang.Thread.run", "java.lang.Thread"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "frame"),
    [
        ("\tat sun.reflect.NativeMethodAccessorImpl.invoke0(Native Method)", ("", None, "sun.reflect.NativeMethodAccessorImpl.invoke0")),  # noqa: E501
        ("\tat Main.main(Main.java:3)", ("Main.java", 3, "Main.main")),
        ("\tat com.x.Outer$Inner.run(Outer.java:9)", ("com/x/Outer.java", 9, "com.x.Outer$Inner.run")),
        ("\tat com.x.Y.z(Unknown Source)", ("", None, "com.x.Y.z")),
    ],
)  # fmt: skip
def test_java_frame_forms(text: str, frame: tuple[str, int | None, str]) -> None:
    (found,) = java_frames(text)
    assert (found.file, found.line, found.function) == frame


@pytest.mark.parametrize(
    ("module", "library"),
    [
        ("/srv/venv/lib/python3.11/site-packages/requests/api.py", True),
        ("/usr/lib/python3/dist-packages/apt/cache.py", True),
        ("/usr/lib/python3.11/json/decoder.py", True),
        ("/usr/local/lib/python3.12/asyncio/base_events.py", True),
        ("<frozen importlib._bootstrap>", True),
        ("C:/Python311/Lib/site-packages/flask/app.py", True),
        ("/srv/app/site-packages-util.py", False),  # a directory name matches whole directories only
        ("/srv/billing/pricing.py", False),
        ("java.lang.Thread", True),
        ("org.springframework.web.servlet.FrameworkServlet", True),
        ("kotlin.coroutines.Continuation", True),
        ("com.example.shop.Cart", False),
        ("javalin.Handler", False),  # "java." is a package prefix, with its dot
    ],
)
def test_is_library(module: str, library: bool) -> None:
    assert is_library(Frame("x", 1, "f", module, "python"), DEFAULT_LIBRARY_PREFIXES) is library


def test_culprit_skips_library_frames() -> None:
    assert culprit_frame(python_frames(PY_TRACE), DEFAULT_LIBRARY_PREFIXES) == Frame(
        "/srv/billing/pricing.py", 31, "compute_total", "/srv/billing/pricing.py", "python"
    )
    assert culprit_frame(java_frames(JAVA_TRACE), DEFAULT_LIBRARY_PREFIXES).function == "com.example.shop.Cart.total"  # type: ignore[union-attr]


def test_all_library_trace_falls_back_to_the_innermost_frame() -> None:
    frames = python_frames(PY_TRACE)[:2]  # json, requests
    assert culprit_frame(frames, DEFAULT_LIBRARY_PREFIXES) == frames[0]
    java = java_frames("\tat java.lang.Thread.run(Thread.java:1)\n\tat sun.misc.Unsafe.park(Unsafe.java:2)")
    assert culprit_frame(java, DEFAULT_LIBRARY_PREFIXES) == java[0]


def test_prefixes_are_configurable() -> None:
    frames = python_frames(PY_TRACE)
    configured = culprit_frame(frames, (*DEFAULT_LIBRARY_PREFIXES, "/srv/billing/pricing.py"))
    bare = culprit_frame(frames, ())
    assert configured is not None
    assert bare is not None
    assert configured.file == "/srv/billing/worker.py"
    assert bare.file == "/usr/lib/python3.11/json/decoder.py"


def test_no_frames() -> None:
    assert python_frames("nothing here") == []
    assert java_frames("nothing here") == []
    assert culprit_frame([], DEFAULT_LIBRARY_PREFIXES) is None

"""Stack frames out of Python tracebacks and Java stack traces, and the one that names an error.

Both parsers return frames innermost first (where the error was raised, then its callers).

* Python: ``File "/srv/billing/pricing.py", line 31, in compute_total``. A chained traceback
  ("During handling of the above exception..." / "The above exception was the direct cause...")
  prints the exception that was finally raised last: its section, the last ``Traceback`` one, is
  the one parsed.
* Java: ``at com.example.shop.CartController.view(CartController.java:57)``, with or without the
  class loader and module (``java.base/java.lang.Thread.run``). The top-level exception's frames
  are the ones before the first ``Caused by:`` / ``Suppressed:`` section. A Java frame's file is
  its package path and source file (``com/example/shop/CartController.java``), the way it lies in
  the source tree, so that ``git blame`` can find it under a checkout's source root.

A frame is *library* code when its module (Python: the file path; Java: the class name) starts
with one of the library prefixes, or, for a prefix that is a bare directory name
(``site-packages``), has it as a directory anywhere in the path. The frame that names the error is
the innermost in-app one; a trace made only of library frames falls back to its innermost frame.

Bounded work: a trace is read :data:`MAX_LINES` lines at most (the innermost end: Python's last
lines, Java's first), and a line longer than :data:`MAX_LINE_CHARS` is no frame; :func:`cut` says
whether a trace is past those bounds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import regex

DEFAULT_LIBRARY_PREFIXES: tuple[str, ...] = (
    # Python
    "site-packages",
    "dist-packages",
    "/usr/lib/python3",
    "/usr/local/lib/python3",
    "<frozen",
    # JVM
    "java.",
    "javax.",
    "sun.",
    "jdk.",
    "org.springframework.",
    "org.apache.",
    "com.sun.",
    "kotlin.",
    "scala.",
)


@dataclass(frozen=True, slots=True)
class Frame:
    file: str
    line: int | None
    function: str
    module: str  # what library prefixes are matched against
    language: Literal["python", "java"]

    @property
    def culprit(self) -> str:
        """Python ``/srv/billing/pricing.py in compute_total``; Java ``com.example.shop.CartController.view``."""
        return f"{self.file} in {self.function}" if self.language == "python" else self.function


#: Lines of a trace read for frames (the innermost ones), and the longest line that can be a frame.
MAX_LINES = 1000
MAX_LINE_CHARS = 2000

_PY_TRACEBACK = "Traceback (most recent call last):"
_PY_FRAME = regex.compile(r'^\s*File "(?P<file>[^"]+)", line (?P<line>\d+)(?:, in (?P<function>\S.*?))?\s*$')
_JAVA_FRAME = regex.compile(r"^\s*at\s+(?P<where>[^\s(]+)\((?P<source>[^)]*)\)")
_JAVA_NEXT_SECTION = regex.compile(r"^\s*(?:Caused by|Suppressed):")
_JAVA_SOURCE = regex.compile(r"^(?P<file>[^:]+?)(?::(?P<line>\d+))?$")


def python_frames(trace: str) -> list[Frame]:
    """The frames of the last ``Traceback`` section, innermost first."""
    section = trace.rsplit(_PY_TRACEBACK, 1)[-1] if _PY_TRACEBACK in trace else trace
    frames: list[Frame] = []
    for text in section.splitlines()[-MAX_LINES:]:
        if len(text) > MAX_LINE_CHARS:
            continue
        found = _PY_FRAME.match(text)
        if found is not None:
            file = found["file"]
            frames.append(Frame(file, int(found["line"]), found["function"] or "", file.replace("\\", "/"), "python"))
    frames.reverse()
    return frames


def java_frames(trace: str) -> list[Frame]:
    """The top-level exception's frames (before any ``Caused by:``), innermost first."""
    frames: list[Frame] = []
    for text in trace.splitlines()[:MAX_LINES]:
        if len(text) > MAX_LINE_CHARS:
            continue
        if _JAVA_NEXT_SECTION.match(text):
            break
        found = _JAVA_FRAME.match(text)
        if found is None:
            continue
        qualified = found["where"].rsplit("/", 1)[-1]  # drop "app//" and "java.base/"
        cls, _, _method = qualified.rpartition(".")
        source = _JAVA_SOURCE.match(found["source"].strip())
        file, line = "", None
        if source is not None and "." in source["file"]:  # not "Native Method" / "Unknown Source"
            package = cls.rpartition(".")[0]
            file = f"{package.replace('.', '/')}/{source['file']}" if package else source["file"]
            line = int(source["line"]) if source["line"] else None
        frames.append(Frame(file, line, qualified, cls or qualified, "java"))
    return frames


def cut(trace: str) -> bool:
    """Whether :func:`parse_frames` leaves lines of ``trace`` unread."""
    return trace.count("\n") >= MAX_LINES or any(len(line) > MAX_LINE_CHARS for line in trace.splitlines())


def parse_frames(trace: str) -> list[Frame]:
    """Whichever of the two formats ``trace`` is in (none: no frames)."""
    if _PY_TRACEBACK in trace or 'File "' in trace:
        return python_frames(trace)
    return java_frames(trace)


def is_library(frame: Frame, prefixes: Iterable[str]) -> bool:
    module = frame.module
    return any(
        module.startswith(prefix) or (_is_directory_name(prefix) and f"/{prefix}/" in module) for prefix in prefixes
    )


def _is_directory_name(prefix: str) -> bool:
    """``site-packages`` is; ``/usr/lib/python3``, ``java.`` and ``<frozen`` are prefixes only."""
    return "/" not in prefix and not prefix.endswith(".") and not prefix.startswith("<")


def culprit_frame(frames: Sequence[Frame], prefixes: Iterable[str]) -> Frame | None:
    """The innermost in-app frame; the innermost frame when every frame is library code."""
    library = tuple(prefixes)
    for frame in frames:
        if not is_library(frame, library):
            return frame
    return frames[0] if frames else None

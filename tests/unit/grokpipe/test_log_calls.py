"""Every log call of our code builds its record: no ``extra=`` key overwrites a LogRecord attribute.

``logging`` raises ``KeyError`` for such a key when the record is built, i.e. only at a level that is
enabled, after the work the call reports on. The suite runs at DEBUG (pytest ``log_level``) so the calls
a test reaches are built; this reads the calls no test reaches as well.
"""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SOURCES = ("api/src", "indexer/src", "shipper/src", "core/src")
LOG_METHODS = {"debug", "info", "warning", "error", "exception", "critical", "log"}
RESERVED = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def _files() -> list[Path]:
    seen: set[Path] = set()
    for top in SOURCES:
        for path in (ROOT / top).rglob("*.py"):
            real = path.resolve()
            if not {".venv", "build"} & set(path.parts) and real not in seen:
                seen.add(real)
    return sorted(seen)


def reserved_extra_keys(source: str) -> list[tuple[int, str]]:
    """(line, key) of each constant ``extra=`` key of a log call that LogRecord already has."""
    found: list[tuple[int, str]] = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        if node.func.attr not in LOG_METHODS:
            continue
        for kw in node.keywords:
            if kw.arg == "extra" and isinstance(kw.value, ast.Dict):
                for key in kw.value.keys:
                    if isinstance(key, ast.Constant) and key.value in RESERVED:
                        found.append((node.lineno, str(key.value)))
    return found


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('log.info("x", extra={"created": 1})', [(1, "created")]),
        ('log.warning("x", extra={"message": "m", "ok": 1})', [(1, "message")]),
        ('log.info("x", extra={"groups.created": 1, "name.x": 2})', []),
        ('other.call("x", extra={"created": 1})', []),
    ],
)
def test_reserved_keys_are_found(source: str, expected: list[tuple[int, str]]) -> None:
    assert reserved_extra_keys(source) == expected


def test_no_log_call_passes_a_reserved_extra_key() -> None:
    files = _files()
    assert len(files) > 50
    bad = [
        f"{path.relative_to(ROOT)}:{line} extra key {key!r}"
        for path in files
        for line, key in reserved_extra_keys(path.read_text(encoding="utf-8"))
    ]
    assert bad == []


def test_the_suite_builds_debug_records(caplog: pytest.LogCaptureFixture) -> None:
    """pytest's ``log_level = "DEBUG"``: a debug call of our code is built (and formatted) in every test."""
    logging.getLogger("grokpipe.test").debug("built %s", "here")
    assert [r.getMessage() for r in caplog.records] == ["built here"]

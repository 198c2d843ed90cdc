"""Grok: ``%{SYNTAX:SEMANTIC:type}`` expressions compiled to one ``regex`` pattern.

We compile grok ourselves rather than through pygrok because pygrok can neither name captures
with Logstash field references (``%{IP:[source][ip]}``, as logstash-patterns-core's ECS set
does), nor bound a match's time. The ``regex`` module gives both the Oniguruma-compatible syntax
the pattern files use (atomic groups, possessive quantifiers) and a per-search timeout.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from indexer.errors import PatternError
from indexer.fields import normalise

_REF = regex.compile(
    r"%\{(?P<name>[A-Za-z0-9_]+)(?::(?P<field>[^:}]+))?(?::(?P<type>int|long|float|double|string|boolean|bool))?\}"
)
_NAMED = regex.compile(r"\(\?<(?P<name>[^>=!][^>]*)>")
_LINE = regex.compile(r"^(?P<name>[A-Za-z0-9_]+)\s+(?P<regex>.*\S)\s*$")
_CASTS: dict[str, Any] = {"int": int, "long": int, "float": float, "double": float, "string": str}


def _cast(value: str, kind: str | None) -> Any:
    if kind is None or kind == "string":
        return value
    if kind in ("boolean", "bool"):
        return value.lower() in ("true", "1", "yes", "on")
    try:
        return _CASTS[kind](value)
    except ValueError:
        return value


@dataclass(frozen=True, slots=True)
class Capture:
    field: str
    kind: str | None


class Grok:
    """One compiled expression; :meth:`match` returns ``{field path: value}`` or None."""

    def __init__(self, expression: str, compiled: regex.Pattern[str], captures: dict[str, Capture]) -> None:
        self.expression = expression
        self._regex = compiled
        self._captures = captures

    def match(self, text: str, timeout: float | None = None) -> dict[str, Any] | None:
        """Search ``text``; raises ``TimeoutError`` when the search takes longer than ``timeout`` s."""
        found = self._regex.search(text, timeout=timeout)
        if found is None:
            return None
        out: dict[str, Any] = {}
        for group, value in found.groupdict().items():
            if not value:
                continue  # an optional part that matched nothing is not a field
            capture = self._captures[group]
            out[capture.field] = _cast(value, capture.kind)
        return out


class PatternLibrary:
    """Named patterns from Logstash-format files (``NAME regex`` per line, ``#`` comments)."""

    def __init__(self) -> None:
        self.patterns: dict[str, str] = {}

    @classmethod
    def from_dirs(cls, dirs: Iterable[Path]) -> PatternLibrary:
        library = cls()
        for directory in dirs:
            library.load_dir(directory)
        return library

    def load_dir(self, directory: Path) -> None:
        if not directory.is_dir():
            raise PatternError(f"pattern directory {directory} does not exist")
        for path in sorted(p for p in directory.rglob("*") if p.is_file() and not p.name.startswith(".")):
            self.load_file(path)

    def load_file(self, path: Path) -> None:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            stripped = line.strip()
            if not stripped or stripped.startswith("#"):
                continue
            match = _LINE.match(stripped)
            if match is None:
                raise PatternError(f"{path}:{number}: expected 'NAME regex', got {stripped[:60]!r}")
            self.patterns[match["name"]] = match["regex"]

    def compile(self, expression: str) -> Grok:
        captures: dict[str, Capture] = {}
        source = self._expand(expression, captures, ())
        try:
            compiled = regex.compile(source, regex.V0)
        except regex.error as exc:
            raise PatternError(f"grok expression {expression!r} does not compile: {exc}") from None
        return Grok(expression, compiled, captures)

    def _expand(self, text: str, captures: dict[str, Capture], stack: tuple[str, ...]) -> str:
        def named(match: regex.Match[str]) -> str:
            group = f"g{len(captures)}"
            captures[group] = Capture(normalise(match["name"]), None)
            return f"(?P<{group}>"

        text = _NAMED.sub(named, text)

        def ref(match: regex.Match[str]) -> str:
            name = match["name"]
            if name in stack:
                raise PatternError(f"pattern {name} refers to itself via {' -> '.join(stack)}")
            body = self.patterns.get(name)
            if body is None:
                raise PatternError(f"unknown grok pattern %{{{name}}}")
            inner = self._expand(body, captures, (*stack, name))
            if match["field"] is None:
                return f"(?:{inner})"
            group = f"g{len(captures)}"
            captures[group] = Capture(normalise(match["field"]), match["type"])
            return f"(?P<{group}>{inner})"

        expanded: str = _REF.sub(ref, text)
        return expanded

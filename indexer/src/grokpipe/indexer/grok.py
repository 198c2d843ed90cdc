r"""Grok: ``%{SYNTAX:SEMANTIC:type}`` expressions compiled to one ``regex`` pattern.

We compile grok ourselves rather than through pygrok because pygrok can neither name captures
with Logstash field references (``%{IP:[source][ip]}``, as logstash-patterns-core's ECS set
does), nor bound a match's time. The ``regex`` module gives a per-search timeout, atomic groups
and possessive quantifiers; what Logstash's engine (Oniguruma/Joni, Ruby syntax) reads
differently from it is translated token by token in :class:`_Translator`:

* nested character classes are unions in Ruby: ``UNIXPATH``'s ``[[[:alnum:]]_%...]`` is flattened
  to ``[[:alnum:]_%...]`` (``regex``'s VERSION0 reads the inner ``[`` as text and then matches no
  ordinary path); negated nested classes and ``&&`` intersections compile in VERSION1, whose set
  operators ``--``, ``||`` and ``~~`` (text to Ruby) are escaped;
* ``\h``/``\H`` are hex digits in Ruby (``RUUID``), horizontal space in ``regex``;
* a quantifier on a quantifier is a nested repeat in Ruby (``SHOREWALL``'s ``.?*`` is ``(?:.?)*``;
  ``regex`` says "multiple repeat"), so are ``{n,m}+`` (possessive in ``regex``) and ``{n}?``
  (optional in Ruby, not lazy);
* ``(?i)`` reaches to the end of its group, alternatives included (``a(?i)b|c`` is
  ``a(?i:b|c)``), where VERSION0 would apply it to the whole expression; Ruby's ``(?m)`` is
  dot-matches-newline, ``regex``'s ``(?s)`` (which we also accept); ``\Z``/``\z`` are mapped;
* ``(?<name>...)``, ``(?'name'...)`` (and Python's ``(?P<name>...)``) become captures named by
  field reference; ``\k<name>`` and ``\g<name>`` follow the renaming;
* as in Ruby, once an expression has named groups its plain ``(...)`` groups capture nothing:
  they become ``(?:...)``, which also spares the engine their bookkeeping (unless a numbered
  back-reference needs them).

Left as ``regex`` reads them: ``^``/``$`` are the text's start and end, not any line's as in Ruby
(the shipped pipelines rely on it for multiline events), and ``\w``, ``\d``, ``\s``, ``\b`` are
Unicode-aware where Ruby's are ASCII.

Capture semantics follow Logstash's grok filter: an optional part that matched nothing is not a
field, and a field captured more than once (legacy ``BIND9``'s ``query``) becomes the list of its
values in pattern order (Logstash drops the second value when a cast made the first a number; we
keep both).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import regex

from grokpipe.indexer.errors import PatternError
from grokpipe.indexer.fields import compile_path, normalise, put_at

_REF = regex.compile(
    r"%\{(?P<name>[A-Za-z0-9_]+)(?::(?P<field>[^:}]+))?(?::(?P<type>int|long|float|double|string|boolean|bool))?\}"
)
_NAMED = regex.compile(r"\(\?(?:P?<(?P<name>[^>=!][^>]*)>|'(?P<name>[^']+)')")
_GROUP_REF = regex.compile(r"\\([kg])(?:<(?P<name>[^>]+)>|'(?P<name>[^']+)')")
_FLAGS = regex.compile(r"\(\?([imxs]*)(?:-([imxs]*))?([:)])")
_POSIX = regex.compile(r"\[:\^?[a-z]+:\]")
_INTERVAL = regex.compile(r"\{(\d*)(,?)(\d*)\}")
_LINE = regex.compile(r"^(?P<name>[A-Za-z0-9_]+)\s+(?P<regex>.*\S)\s*$")
_CASTS: dict[str, Any] = {"int": int, "long": int, "float": float, "double": float, "string": str}
_HEX, _NOT_HEX = "[0-9a-fA-F]", "[^0-9a-fA-F]"
_ESCAPES = {"h": _HEX, "H": _NOT_HEX, "z": "\\Z", "Z": "(?=\\n?\\Z)"}  # Ruby's meaning -> regex's


def _cast(value: str, kind: str | None) -> Any:
    if kind is None or kind == "string":
        return value
    if kind in ("boolean", "bool"):
        return value.lower() in ("true", "1", "yes", "on")
    try:
        return _CASTS[kind](value)
    except ValueError:
        return value


def _caster(kind: str | None) -> Callable[[str], Any] | None:
    """``_cast`` for one ``kind`` chosen once: None for text, which needs no call at all."""
    if kind is None or kind == "string":
        return None
    return lambda value: _cast(value, kind)


@dataclass(frozen=True, slots=True)
class Capture:
    field: str
    kind: str | None
    repeated: bool = False  # the field has another capture in the same expression


#: One capture ready to store: its index in ``Match.groups()``, its field path split into the
#: parents and the last key, and its cast (None: the text as it is).
_Slot = tuple[int, tuple[str, ...], str, Callable[[str], Any] | None]


class Grok:
    """One compiled expression; :meth:`match` returns ``{field path: value}`` or None.

    Why slots: ``Match.groupdict()`` builds a dict of every group and costs as much as the search
    itself on an nginx line; ``groups()`` and a per-capture plan made here (index, split path,
    cast) do not. :meth:`store` puts the captures straight into an event.
    """

    def __init__(self, expression: str, compiled: regex.Pattern[str], captures: dict[str, Capture]) -> None:
        self.expression = expression
        self._regex = compiled
        self._captures = captures
        # groupdict() order (the pattern's), which is also the order a repeated field's values keep
        self._slots: list[_Slot] = []
        self._fields: list[tuple[int, str, Callable[[str], Any] | None, bool]] = []
        for name, number in compiled.groupindex.items():
            capture = captures[name]
            *parents, leaf = capture.field.split(".")
            cast = _caster(capture.kind)
            self._slots.append((number - 1, tuple(parents), leaf, cast))
            self._fields.append((number - 1, capture.field, cast, capture.repeated))
        self._repeats = any(capture.repeated for capture in captures.values())

    def match(self, text: str, timeout: float | None = None) -> dict[str, Any] | None:
        """Search ``text``; raises ``TimeoutError`` when the search takes longer than ``timeout`` s."""
        found = self._regex.search(text, timeout=timeout)
        if found is None:
            return None
        values = found.groups()
        out: dict[str, Any] = {}
        for index, field, cast, repeated in self._fields:
            value = values[index]
            if not value:
                continue  # an optional part that matched nothing is not a field
            if cast is not None:
                value = cast(value)
            if not repeated:
                out[field] = value
                continue
            before = out.get(field)
            if before is None:
                out[field] = value
            elif isinstance(before, list):
                before.append(value)
            else:
                out[field] = [before, value]
        return out

    def store(self, event: dict[str, Any], text: str, timeout: float | None = None) -> bool:
        """Search ``text`` and put the captures into ``event`` (as ``put_at`` of each :meth:`match`
        item would, in the same order); False when it does not match. Raises ``TimeoutError``."""
        if self._repeats:  # a field's values become a list first: the general way
            found = self.match(text, timeout)
            if found is None:
                return False
            for field, value in found.items():
                put_at(event, compile_path(field), value)
            return True
        match = self._regex.search(text, timeout=timeout)
        if match is None:
            return False
        values = match.groups()
        for index, parents, leaf, cast in self._slots:
            value = values[index]
            if not value:
                continue
            node = event
            for part in parents:
                child = node.get(part)
                if not isinstance(child, dict):
                    child = {}
                    node[part] = child
                node = child
            node[leaf] = value if cast is None else cast(value)
        return True


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
        translator = _Translator(self.patterns, plain_captures=False)
        source = translator.translate(expression)
        if translator.numbered_backrefs:  # \1 needs the plain groups it counts
            translator = _Translator(self.patterns, plain_captures=True)
            source = translator.translate(expression)
        try:
            compiled = regex.compile(source, regex.V1 if translator.needs_v1 else regex.V0)
        except regex.error as exc:
            raise PatternError(f"grok expression {expression!r} does not compile: {exc}") from None
        return Grok(expression, compiled, translator.captures())


class _Translator:
    """Grok expression (Oniguruma, Ruby syntax, ``%{...}`` references) -> ``regex`` source."""

    def __init__(self, patterns: dict[str, str], plain_captures: bool) -> None:
        self._patterns = patterns
        self._plain_captures = plain_captures
        self._fields: list[tuple[str, str | None]] = []  # group g<i> -> (field, cast)
        self._by_name: dict[str, str] = {}  # inline group name -> our group name (the latest)
        self.numbered_backrefs = False
        self.needs_v1 = False  # a class that only VERSION1's nested sets can express

    def captures(self) -> dict[str, Capture]:
        counts: dict[str, int] = {}
        for field, _ in self._fields:
            counts[field] = counts.get(field, 0) + 1
        return {f"g{i}": Capture(field, kind, counts[field] > 1) for i, (field, kind) in enumerate(self._fields)}

    def _group(self, field: str, kind: str | None) -> str:
        self._fields.append((normalise(field), kind))
        return f"g{len(self._fields) - 1}"

    def translate(self, text: str, stack: tuple[str, ...] = ()) -> str:
        out: list[str] = []
        opened: list[list[int]] = [[0, 0]]  # per open group: out index of its start, options to close with it
        atom = -1  # out index where the last quantifiable atom starts (-1: none)
        repeats = 0  # quantifiers already applied to that atom
        i, n = 0, len(text)
        while i < n:
            c = text[i]
            if c in "*+?{" and (c != "{" or _INTERVAL.match(text, i)):
                i = _quantifier(text, i, out, atom, repeats)
                repeats = repeats + 1 if atom >= 0 else 0
                continue
            repeats = 0
            start = len(out)
            if c == "(":
                i, kind = self._open(text, i, out)
                if kind == "group":
                    opened.append([start, 0])
                elif kind == "option":  # (?i) reaches to the end of the enclosing group, as (?i:...)
                    opened[-1][1] += 1
                atom = -1
                continue
            if c == ")" and len(opened) > 1:
                group_start, options = opened.pop()
                out.append(")" * (options + 1))
                atom, i = group_start, i + 1
                continue
            if c in "|^$":
                out.append(c)
                atom, i = -1, i + 1
                continue
            if c == "%" and (ref := _REF.match(text, i)) is not None:
                out.append(self._reference(ref, stack))
                i = ref.end()
            elif c == "\\":
                i = self._escape(text, i, out)
            elif c == "[":
                i, klass, v1 = _char_class(text, i)
                out.append(klass)
                self.needs_v1 |= v1
            else:
                out.append("\\{" if c == "{" else c)
                i += 1
            atom = start
        out.append(")" * opened[0][1])
        return "".join(out)

    def _reference(self, ref: regex.Match[str], stack: tuple[str, ...]) -> str:
        name = ref["name"]
        if name in stack:
            raise PatternError(f"pattern {name} refers to itself via {' -> '.join(stack)}")
        body = self._patterns.get(name)
        if body is None:
            raise PatternError(f"unknown grok pattern %{{{name}}}")
        if ref["field"] is None:
            return f"(?:{self.translate(body, (*stack, name))})"
        group = self._group(ref["field"], ref["type"])
        return f"(?P<{group}>{self.translate(body, (*stack, name))})"

    def _escape(self, text: str, i: int, out: list[str]) -> int:
        nxt = text[i + 1 : i + 2]
        special = _ESCAPES.get(nxt)
        if special is not None:
            out.append(special)
            return i + 2
        if nxt in "xpPou" and text.startswith("{", i + 2) and (close := text.find("}", i)) > 0:
            out.append(text[i : close + 1])  # \x{263a}, \p{Alpha}: not an interval
            return close + 1
        if nxt.isdigit() and nxt != "0":
            self.numbered_backrefs = True
        elif nxt in ("k", "g") and (ref := _GROUP_REF.match(text, i)) is not None:
            group = self._by_name.get(ref["name"])
            if group is not None:
                out.append(f"(?P={group})" if nxt == "k" else f"(?&{group})")
                return ref.end()
        out.append(text[i : i + 2])
        return i + 2

    def _open(self, text: str, i: int, out: list[str]) -> tuple[int, str]:
        """The group opening at ``text[i]``; returns the index after it and its kind."""
        if text.startswith("(?#", i):
            close = text.find(")", i)
            return (len(text) if close < 0 else close + 1), "comment"
        if (named := _NAMED.match(text, i)) is not None:
            group = self._group(named["name"], None)
            self._by_name[named["name"]] = group
            out.append(f"(?P<{group}>")
            return named.end(), "group"
        if (flags := _FLAGS.match(text, i)) is not None and (flags[1] or flags[2] is not None):
            on, off = flags[1].replace("m", "s"), (flags[2] or "").replace("m", "s")  # Ruby's m is dotall
            out.append(f"(?{on}{'-' + off if off else ''}:")
            return flags.end(), ("option" if flags[3] == ")" else "group")
        if text.startswith("(?", i):
            out.append("(?")
            return i + 2, "group"
        out.append("(" if self._plain_captures else "(?:")
        return i + 1, "group"


def _quantifier(text: str, i: int, out: list[str], atom: int, repeats: int) -> int:
    """Copy the quantifier at ``text[i]``; a second one on the same atom nests, as in Ruby."""
    interval = _INTERVAL.match(text, i) if text[i] == "{" else None
    end = interval.end() if interval is not None else i + 1
    if repeats and atom >= 0:  # .?* is (?:.?)* in Ruby, "multiple repeat" in regex
        out.insert(atom, "(?:")
        out.append(")")
    out.append(text[i:end])
    suffix = text[end : end + 1]
    if suffix == "?" and not (interval is not None and not interval[2]):
        out.append("?")  # lazy; {n}? is optional in Ruby, not lazy: left to the next round
        return end + 1
    if suffix == "+" and interval is None:
        out.append("+")  # possessive; {n,m}+ is a repeated interval in Ruby, possessive in regex
        return end + 1
    return end


def _char_class(text: str, i: int) -> tuple[int, str, bool]:
    """The class at ``text[i] == '['`` -> (index after it, ``regex`` class, needs VERSION1).

    Ruby's nested classes are unions: flattened (``[[[:alnum:]]_]`` -> ``[[:alnum:]_]``) unless
    negated or intersected (``&&``), which only VERSION1's nested sets express.
    """
    n = len(text)
    parts = ["["]
    i += 1
    if text.startswith("^", i):
        parts.append("^")
        i += 1
    first, v1 = True, False
    while i < n:
        c = text[i]
        if c == "]" and not first:
            parts.append("]")
            return i + 1, "".join(parts), v1
        if c == "]":  # Ruby takes a leading ']' literally
            parts.append("\\]")
            i += 1
        elif c == "\\":
            nxt = text[i + 1 : i + 2]
            parts.append("0-9a-fA-F" if nxt == "h" else _NOT_HEX if nxt == "H" else text[i : i + 2])
            v1 |= nxt == "H"
            i += 2
        elif c == "[" and (posix := _POSIX.match(text, i)) is not None:
            parts.append(posix[0])
            i = posix.end()
        elif c == "[":
            i, nested, nested_v1 = _char_class(text, i)
            flat = not nested_v1 and not nested.startswith("[^") and nested.endswith("]")
            parts.append(nested[1:-1] if flat else nested)
            v1 |= not flat
        elif c == "&" and text.startswith("&&", i):
            parts.append("&&")
            v1 = True
            i += 2
        elif c in "-|~" and text.startswith(c * 2, i):  # set operators in VERSION1, text in Ruby
            parts.append(c + "\\" + c)
            i += 2
        else:
            parts.append(c)
            i += 1
        first = False
    return n, "".join(parts), v1  # unterminated: let the compiler say so

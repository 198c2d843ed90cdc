"""The check condition language: a tokenizer and a recursive-descent parser to a small AST, and its
evaluation against one response. Never Python ``eval``.

Grammar (whitespace between tokens is free)::

    condition  := sum (CMP sum)?                  CMP: == != < <= > >=
    sum        := product (("+" | "-") product)*
    product    := unary (("*" | "/") unary)*
    unary      := "-" unary | primary
    primary    := NUMBER | STRING | WORD | ref | call | "(" sum ")"
    ref        := "[STATUS]" | "[RESPONSE_TIME]" | "[BODY]" path* | "[HEADERS]" path* | "[CONTEXT]" path*
    path       := "." NAME | "[" INT "]"
    call       := ("len" | "has" | "any" | "pat") "(" args ")"

``pat(glob)`` and ``any(a, b)`` on the right of ``==``/``!=`` match a glob or any of the values;
bare words are strings (``[BODY].status == UP``), ``true``/``false``/``null`` are JSON's. Numbers
and numeric strings compare as numbers (headers are strings). A path that is not in the response
is *missing*: comparing it fails the condition with that reason (see :mod:`api.checks.evaluate`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Literal

REFS = ("STATUS", "RESPONSE_TIME", "BODY", "HEADERS", "CONTEXT")
FUNCTIONS = ("len", "has", "any", "pat")
CMP = ("==", "!=", "<=", ">=", "<", ">")
_NUMBER = re.compile(r"\d+(?:\.\d+)?(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*")
_NAME = re.compile(r"[A-Za-z0-9_$]+")
_HEADER = re.compile(r"[A-Za-z0-9_\-]+")
_INDEX = re.compile(r"\[(\d+)\]")


class ConditionError(ValueError):
    """A condition that does not parse: ``reason`` and the 0-based character ``position``."""

    def __init__(self, reason: str, position: int, text: str) -> None:
        super().__init__(f"{reason} at position {position}")
        self.reason = reason
        self.position = position
        self.text = text


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class Token:
    kind: Literal["num", "str", "word", "ref", "op", "(", ")", ",", "end"]
    value: Any
    pos: int
    path: tuple[str | int, ...] = ()


def tokenize(text: str) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch == "[":
            i = _ref(text, i, out)
        elif ch in "\"'":
            i = _string(text, i, out)
        elif ch.isdigit():
            match = _NUMBER.match(text, i)
            assert match is not None
            raw = match.group()
            out.append(Token("num", float(raw) if any(c in raw for c in ".eE") else int(raw), i))
            i = match.end()
        elif text.startswith(("==", "!=", "<=", ">="), i):
            out.append(Token("op", text[i : i + 2], i))
            i += 2
        elif ch in "<>+-*/":
            out.append(Token("op", ch, i))
            i += 1
        elif ch in "(),":
            out.append(Token(ch, ch, i))  # type: ignore[arg-type]
            i += 1
        elif (match := _WORD.match(text, i)) is not None:
            out.append(Token("word", match.group(), i))
            i = match.end()
        elif ch == "=":
            raise ConditionError("'=' is not an operator; use '=='", i, text)
        else:
            raise ConditionError(f"unexpected character {ch!r}", i, text)
    out.append(Token("end", None, len(text)))
    return out


def _ref(text: str, start: int, out: list[Token]) -> int:
    close = text.find("]", start)
    name = text[start + 1 : close] if close > 0 else ""
    if name not in REFS:
        known = ", ".join(f"[{r}]" for r in REFS)
        raise ConditionError(
            f"unknown placeholder {text[start : close + 1] or text[start:]!r}; use {known}", start, text
        )
    i = close + 1
    path: list[str | int] = []
    segment = _HEADER if name == "HEADERS" else _NAME
    while i < len(text) and name in ("BODY", "HEADERS", "CONTEXT"):
        if text[i] == ".":
            match = segment.match(text, i + 1)
            if match is None:
                raise ConditionError("expected a name after '.'", i + 1, text)
            path.append(match.group())
            i = match.end()
        elif text[i] == "[" and name == "BODY":
            match = _INDEX.match(text, i)
            if match is None:
                raise ConditionError("expected a list index like [0]", i, text)
            path.append(int(match.group(1)))
            i = match.end()
        else:
            break
    if name in ("HEADERS", "CONTEXT") and len(path) != 1:
        raise ConditionError(f"[{name}] needs one name, like [{name}].name", start, text)
    out.append(Token("ref", name, start, tuple(path)))
    return i


def _string(text: str, start: int, out: list[Token]) -> int:
    quote = text[start]
    i = start + 1
    chars: list[str] = []
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            chars.append(text[i + 1])
            i += 2
            continue
        if ch == quote:
            out.append(Token("str", "".join(chars), start))
            return i + 1
        chars.append(ch)
        i += 1
    raise ConditionError("unterminated string", start, text)


# ---------------------------------------------------------------- AST


@dataclass(frozen=True)
class Const:
    value: Any


@dataclass(frozen=True)
class Ref:
    name: str
    path: tuple[str | int, ...]

    def __str__(self) -> str:
        parts = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in self.path)
        return f"[{self.name}]{parts}"


@dataclass(frozen=True)
class Binary:
    op: str
    left: Node
    right: Node


@dataclass(frozen=True)
class Neg:
    operand: Node


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Node, ...]
    raw: str = ""  # pat(): the glob as written


Node = Const | Ref | Binary | Neg | Call


@dataclass(frozen=True)
class Condition:
    text: str
    root: Node


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.i = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def fail(self, reason: str, token: Token | None = None) -> ConditionError:
        return ConditionError(reason, (token or self.tok).pos, self.text)

    def take(self) -> Token:
        token = self.tok
        self.i += 1
        return token

    def expect(self, kind: str, what: str) -> Token:
        if self.tok.kind != kind:
            raise self.fail(f"expected {what}, found {self._describe(self.tok)}")
        return self.take()

    @staticmethod
    def _describe(token: Token) -> str:
        return "the end" if token.kind == "end" else repr(str(token.value))

    def condition(self) -> Node:
        left = self.sum()
        if self.tok.kind == "op" and self.tok.value in CMP:
            op = self.take().value
            right = self.sum()
            left = Binary(op, left, right)
            if self.tok.kind == "op" and self.tok.value in CMP:
                raise self.fail("comparisons cannot be chained")
        if self.tok.kind != "end":
            raise self.fail(f"unexpected {self._describe(self.tok)}")
        return left

    def sum(self) -> Node:
        node = self.product()
        while self.tok.kind == "op" and self.tok.value in "+-":
            node = Binary(self.take().value, node, self.product())
        return node

    def product(self) -> Node:
        node = self.unary()
        while self.tok.kind == "op" and self.tok.value in "*/":
            node = Binary(self.take().value, node, self.unary())
        return node

    def unary(self) -> Node:
        if self.tok.kind == "op" and self.tok.value == "-":
            self.take()
            return Neg(self.unary())
        return self.primary()

    def primary(self) -> Node:
        token = self.tok
        if token.kind in ("num", "str"):
            self.take()
            return Const(token.value)
        if token.kind == "ref":
            self.take()
            return Ref(token.value, token.path)
        if token.kind == "(":
            self.take()
            node = self.sum()
            self.expect(")", "')'")
            return node
        if token.kind == "word":
            self.take()
            if self.tok.kind == "(":
                return self.call(token)
            return Const({"true": True, "false": False, "null": None}.get(token.value, token.value))
        raise self.fail(f"expected a value, found {self._describe(token)}")

    def call(self, name: Token) -> Node:
        if name.value not in FUNCTIONS:
            raise self.fail(f"unknown function {name.value!r}; use {', '.join(FUNCTIONS)}", name)
        open_ = self.take()
        if name.value == "pat":
            return self._pattern(open_)
        args: list[Node] = []
        if self.tok.kind != ")":
            args.append(self.sum())
            while self.tok.kind == ",":
                self.take()
                args.append(self.sum())
        self.expect(")", "',' or ')'")
        if name.value in ("len", "has") and len(args) != 1:
            raise self.fail(f"{name.value}() takes one argument", name)
        if name.value == "has" and not isinstance(args[0], Ref):
            raise self.fail("has() takes a placeholder like [BODY].a.b", name)
        if name.value == "any" and not args:
            raise self.fail("any() needs at least one value", name)
        return Call(name.value, tuple(args))

    def _pattern(self, open_: Token) -> Node:
        """``pat(...)``: the glob is the raw text up to the matching ``)`` (or one quoted string)."""
        if self.tok.kind == "str" and self.tokens[self.i + 1].kind == ")":
            glob = self.take().value
            self.take()
            return Call("pat", (), glob)
        start = open_.pos + 1
        close = self.text.find(")", start)
        if close < 0:
            raise self.fail("pat( is not closed", open_)
        while self.tok.kind != "end" and self.tok.pos < close:
            self.take()
        self.expect(")", "')'")
        return Call("pat", (), self.text[start:close].strip())


def parse(text: str) -> Condition:
    """A condition (``[STATUS] == 200``): a comparison or ``has(...)``; raises :class:`ConditionError`."""
    if not text.strip():
        raise ConditionError("empty condition", 0, text)
    root = _Parser(text).condition()
    comparison = isinstance(root, Binary) and root.op in CMP
    if not comparison and not (isinstance(root, Call) and root.name == "has"):
        raise ConditionError("a condition compares two values (==, !=, <, <=, >, >=) or calls has()", 0, text)
    return Condition(text, root)


def parse_value(text: str) -> Condition:
    """A value expression (``[BODY].data.id``), as used by a step's ``store``."""
    if not text.strip():
        raise ConditionError("empty expression", 0, text)
    parser = _Parser(text)
    root = parser.sum()
    if parser.tok.kind != "end":
        raise parser.fail(f"unexpected {parser._describe(parser.tok)}")
    return Condition(text, root)


def context_names(node: Node) -> set[str]:
    """The ``[CONTEXT].name`` values a condition reads."""
    if isinstance(node, Ref):
        return {str(node.path[0])} if node.name == "CONTEXT" else set()
    if isinstance(node, Binary):
        return context_names(node.left) | context_names(node.right)
    if isinstance(node, Neg):
        return context_names(node.operand)
    if isinstance(node, Call):
        return set().union(*(context_names(a) for a in node.args)) if node.args else set()
    return set()

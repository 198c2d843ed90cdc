"""Evaluation of a parsed condition (:mod:`api.checks.conditions`) against one response.

A path not in the response is ``MISSING``; comparing it fails with that placeholder named. Numbers
and numeric strings compare as numbers; ``pat()`` matches a glob, ``any()`` any of its values.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from grokpipe.api.checks.conditions import Binary, Call, Condition, Const, Neg, Node, Ref


class _Missing:
    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()


@dataclass(frozen=True)
class Response:
    """What a condition sees of one response."""

    status: int | None
    response_time_ms: float | None
    body: Any  # parsed JSON, else the text; MISSING without a response
    headers: Mapping[str, str]
    context: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    passed: bool
    detail: str  # "12 == 11" or the reason it could not be evaluated


class EvaluationError(ValueError):
    pass


@dataclass(frozen=True)
class _Glob:
    pattern: str


@dataclass(frozen=True)
class _AnyOf:
    values: tuple[Any, ...]


def value_of(condition: Condition, response: Response) -> Any:
    """The value of an expression; MISSING when a path is not in the response."""
    return _eval(condition.root, response)


def check(condition: Condition, response: Response) -> Outcome:
    root = condition.root
    try:
        if isinstance(root, Call):  # has()
            return Outcome(
                bool(_eval(root, response)), f"{root.args[0]} {'exists' if _eval(root, response) else 'is missing'}"
            )
        assert isinstance(root, Binary)
        left, right = _eval(root.left, response), _eval(root.right, response)
    except EvaluationError as exc:
        return Outcome(False, str(exc))
    for side, value in ((root.left, left), (root.right, right)):
        if value is MISSING:
            return Outcome(False, f"{_missing_ref(side, response)} is missing")
    shown = f"{_show(left)} {root.op} {_show(right)}"
    try:
        return Outcome(_compare(root.op, left, right), shown)
    except EvaluationError as exc:
        return Outcome(False, f"{shown}: {exc}")


def _refs(node: Node) -> list[Ref]:
    if isinstance(node, Ref):
        return [node]
    if isinstance(node, Binary):
        return _refs(node.left) + _refs(node.right)
    if isinstance(node, Neg):
        return _refs(node.operand)
    if isinstance(node, Call):
        return [ref for arg in node.args for ref in _refs(arg)]
    return []


def _missing_ref(node: Node, response: Response) -> str:
    """The placeholder that made ``node`` missing (for the reason shown to users)."""
    return next((str(r) for r in _refs(node) if _lookup(r, response) is MISSING), "a value")


def _show(value: Any) -> str:
    if isinstance(value, _Glob):
        return f"pat({value.pattern})"
    if isinstance(value, _AnyOf):
        return "any(" + ", ".join(_show(v) for v in value.values) + ")"
    text = json.dumps(value, ensure_ascii=False, default=str) if not isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 200 else text[:200] + "…"


def _eval(node: Node, response: Response) -> Any:
    if isinstance(node, Const):
        return node.value
    if isinstance(node, Ref):
        return _lookup(node, response)
    if isinstance(node, Neg):
        value = _eval(node.operand, response)
        return MISSING if value is MISSING else -_number(value, "-")
    if isinstance(node, Binary):
        left, right = _eval(node.left, response), _eval(node.right, response)
        if left is MISSING or right is MISSING:
            return MISSING
        return _arith(node.op, left, right)
    return _call(node, response)


def _call(node: Call, response: Response) -> Any:
    if node.name == "pat":
        return _Glob(node.raw)
    if node.name == "has":
        return _eval(node.args[0], response) is not MISSING
    if node.name == "any":
        return _AnyOf(tuple(_eval(a, response) for a in node.args))
    value = _eval(node.args[0], response)  # len
    if value is MISSING:
        return MISSING
    if isinstance(value, str | list | dict):
        return len(value)
    raise EvaluationError(f"len() of a {type(value).__name__}")


def _lookup(ref: Ref, response: Response) -> Any:
    if ref.name == "STATUS":
        return MISSING if response.status is None else response.status
    if ref.name == "RESPONSE_TIME":
        return MISSING if response.response_time_ms is None else response.response_time_ms
    if ref.name == "HEADERS":
        wanted = str(ref.path[0]).lower()
        return next((v for k, v in response.headers.items() if k.lower() == wanted), MISSING)
    value: Any = response.context if ref.name == "CONTEXT" else response.body
    for part in ref.path:
        if isinstance(part, int):
            value = value[part] if isinstance(value, list) and -len(value) <= part < len(value) else MISSING
        else:
            value = value.get(part, MISSING) if isinstance(value, Mapping) else MISSING
        if value is MISSING:
            return MISSING
    return value


def _number(value: Any, op: str) -> float | int:
    if isinstance(value, bool):
        raise EvaluationError(f"{op} needs numbers, got {_show(value)}")
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                pass
    raise EvaluationError(f"{op} needs numbers, got {_show(value)}")


def _arith(op: str, left: Any, right: Any) -> Any:
    if op == "+" and isinstance(left, str) and isinstance(right, str):
        return left + right
    a, b = _number(left, op), _number(right, op)
    if op == "+":
        return a + b
    if op == "-":
        return a - b
    if op == "*":
        return a * b
    if b == 0:
        raise EvaluationError("division by zero")
    result = a / b
    return int(result) if result == int(result) else result


def _equal(left: Any, right: Any) -> bool:
    if isinstance(right, _Glob):
        return fnmatch.fnmatchcase(left if isinstance(left, str) else _show(left), right.pattern)
    if isinstance(right, _AnyOf):
        return any(_equal(left, v) for v in right.values)
    if isinstance(left, _Glob | _AnyOf):
        return _equal(right, left)
    if left == right and type(left) is type(right):
        return True
    numeric = (int, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return str(left).lower() == str(right).lower()
    if isinstance(left, numeric) or isinstance(right, numeric):
        try:
            return _number(left, "==") == _number(right, "==")
        except EvaluationError:
            return False
    return bool(left == right)


def _compare(op: str, left: Any, right: Any) -> bool:
    if op == "==":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if isinstance(left, str) and isinstance(right, str):
        try:
            a, b = _number(left, op), _number(right, op)
        except EvaluationError:
            a, b = left, right  # type: ignore[assignment]
    else:
        a, b = _number(left, op), _number(right, op)
    if op == "<":
        return a < b
    if op == "<=":
        return a <= b
    if op == ">":
        return a > b
    return a >= b

"""The Jinja2 sandbox every user template runs in (notification messages, check requests), with bounded work.

Jinja's own sandbox keeps templates away from Python internals; this one also bounds what a template can
make, and turns every failure into one error type, :class:`TemplateFailed`, with a reason:

- output: at most :data:`MAX_OUTPUT` characters per rendering (counted while rendering, so a loop stops there);
- strings and lists made by ``*``, ``+``, ``%``, ``str.format``, the filters and ``str`` methods that widen or
  replace (``center``, ``indent``, ``format``, ``wordwrap``, ``replace``, ``ljust``, ``rjust``, ``zfill``,
  ``expandtabs``) and ``namespace`` attributes: at most :data:`MAX_OUTPUT` items, refused before they are made;
- integers made by ``**``: at most :data:`MAX_INT_BITS` bits (Python prints at most 4,300 digits anyway);
- ``range``: at most :data:`MAX_ITEMS` items over one rendering (Jinja's limit is per call), so nested loops
  over ranges stop too;
- no mutation of lists and dicts (``append``, ``update``: Jinja's immutable sandbox);
- no ``include``, ``import``, ``from ... import`` or ``extends``: refused when the template is parsed.

Any other exception a template raises (``1/0``, an unknown name, a filter's ``TypeError``) is a
:class:`TemplateFailed` too: callers handle one type, and one template's error never escapes as a 500.
Not bounded: loops over a long string nested in another such loop (CPU, no output); templates come from
users holding a write key.
"""

from __future__ import annotations

import contextvars
import re
from collections.abc import Callable, Iterator
from typing import Any

from jinja2 import Environment, TemplateError, TemplateSyntaxError, nodes
from jinja2.nodes import EvalContext
from jinja2.runtime import Context
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.utils import Namespace

MAX_OUTPUT = 1_000_000
MAX_ITEMS = 100_000
MAX_INT_BITS = 14_000
_SPEC = re.compile(r"%[^a-zA-Z%]*|\{[^{}]*:[^{}]*\}")  # a %-spec up to its type letter; a {...:spec} field
_DIGITS = re.compile(r"\d+")
_WIDENING_METHODS = frozenset({"ljust", "rjust", "center", "zfill", "expandtabs"})
_FORBIDDEN_NODES = (nodes.Include, nodes.Import, nodes.FromImport, nodes.Extends)
_budget: contextvars.ContextVar[list[int]] = contextvars.ContextVar("grokpipe_template_budget")


class TemplateFailed(ValueError):
    """A template that does not parse (``line``), is refused, or fails while rendering; ``reason`` says why."""

    def __init__(self, reason: str, line: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.line = line


class TooLarge(TemplateFailed):
    """A template would make more than a bound allows."""


def _sized(value: Any) -> int:
    return len(value) if isinstance(value, str | list | tuple | bytes) else 0


def _refuse_size(size: int, what: str) -> None:
    if size > MAX_OUTPUT:
        raise TooLarge(f"template: {what} would make {size:,} items, over the limit of {MAX_OUTPUT:,}")


def _refuse_wide_format(fmt: Any) -> None:
    """Widths and precisions of ``%`` and ``str.format`` specs (``%099d``, ``%.9f``, ``{:>99}``)."""
    if isinstance(fmt, str):
        for spec in _SPEC.findall(fmt):
            for digits in _DIGITS.findall(spec):
                _refuse_size(int(digits), "a format width")


def _refuse_large_ints(args: tuple[Any, ...], kwargs: dict[str, Any], what: str) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool):
            _refuse_size(value, what)


def _replace_size(text: Any, old: Any, new: Any, count: Any = -1) -> int:
    if not isinstance(text, str) or not isinstance(old, str) or not isinstance(new, str):
        return 0
    hits = len(text) + 1 if old == "" else text.count(old)
    if isinstance(count, int) and count >= 0:
        hits = min(hits, count)
    return len(text) + hits * max(len(new) - len(old), 0)


def _refuse_large_binop(operator: str, left: Any, right: Any) -> None:
    if operator == "*":
        for seq, times in ((left, right), (right, left)):
            if isinstance(seq, str | list | tuple | bytes) and isinstance(times, int):
                _refuse_size(len(seq) * max(times, 0), "'*'")
    elif operator == "+":
        _refuse_size(_sized(left) + _sized(right), "'+'")
    elif operator == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            bits = abs(left).bit_length() * right
            if bits > MAX_INT_BITS:
                raise TooLarge(f"template: '**' would make a {bits:,}-bit number, over {MAX_INT_BITS:,}")
    elif operator == "%" and isinstance(left, str):
        _refuse_wide_format(left)


def _bounded_range(*args: int) -> range:
    rng = range(*args)
    budget = _budget.get(None)
    if budget is not None:
        budget[0] -= len(rng)
        if budget[0] < 0:
            raise TooLarge(f"template: ranges over {MAX_ITEMS:,} items in all")
    elif len(rng) > MAX_ITEMS:
        raise TooLarge(f"template: a range over {MAX_ITEMS:,} items")
    return rng


class _BoundedNamespace(Namespace):
    def __setitem__(self, name: str, value: Any) -> None:
        _refuse_size(_sized(value), f"namespace attribute {name!r}")
        super().__setitem__(name, value)


def _guard_filter(name: str, inner: Callable[..., Any]) -> Callable[..., Any]:
    def guarded(*args: Any, **kwargs: Any) -> Any:
        values = [a for a in args if not isinstance(a, Context | EvalContext | Environment)]
        if name == "replace" and len(values) >= 3:
            count = values[3] if len(values) > 3 else kwargs.get("count", -1)
            _refuse_size(_replace_size(str(values[0]), values[1], values[2], count), "replace")
        elif name == "format" and values:
            _refuse_wide_format(values[0])
        else:
            _refuse_large_ints(tuple(values[1:]), kwargs, f"the {name} filter's width")
        return inner(*args, **kwargs)

    guarded.__dict__.update(inner.__dict__)  # keeps Jinja's pass_context / pass_eval_context markers
    return guarded


class BoundedSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the bounds of this module."""

    intercepted_binops = frozenset({"*", "+", "**", "%"})

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.globals["range"] = _bounded_range
        self.globals["namespace"] = _BoundedNamespace
        for name in ("replace", "center", "indent", "format", "wordwrap"):
            self.filters[name] = _guard_filter(name, self.filters[name])

    def call_binop(self, context: Context, operator: str, left: Any, right: Any) -> Any:
        _refuse_large_binop(operator, left, right)
        return super().call_binop(context, operator, left, right)

    def call(__self, __context: Context, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805
        name = getattr(__obj, "__name__", "")
        if isinstance(getattr(__obj, "__self__", None), str):
            if name in _WIDENING_METHODS:
                _refuse_large_ints(args, kwargs, f"str.{name}")
            elif name == "replace" and len(args) >= 2:
                _refuse_size(_replace_size(__obj.__self__, *args[:3]), "str.replace")
        return super().call(__context, __obj, *args, **kwargs)

    def wrap_str_format(self, value: Any) -> Callable[..., str] | None:
        wrapped = super().wrap_str_format(value)
        if wrapped is not None:
            _refuse_wide_format(value.__self__)
        return wrapped


def check(env: BoundedSandbox, source: str) -> nodes.Template:
    """Parse ``source``: :class:`TemplateFailed` for bad syntax, a refused tag (include, import, extends), or an
    operation on constants that cannot succeed (``{{ 1/0 }}``, ``{{ 'x' * 20000000 }}``, ``range(100001)``)."""
    try:
        tree = env.parse(source)
    except TemplateSyntaxError as exc:
        raise TemplateFailed(f"template syntax error: {exc.message}", exc.lineno) from None
    for node in tree.find_all(_FORBIDDEN_NODES):
        tag = type(node).__name__.lower().replace("fromimport", "from ... import")
        raise TemplateFailed(f"template: {tag} is not allowed", node.lineno)
    for expr in tree.find_all(nodes.BinExpr):
        if isinstance(expr.left, nodes.Const) and isinstance(expr.right, nodes.Const):
            _constant(expr.lineno, _binop, env, expr.operator, expr.left.value, expr.right.value)
    for call in tree.find_all(nodes.Call):
        if (
            isinstance(call.node, nodes.Name)
            and call.node.name == "range"
            and not call.kwargs
            and all(isinstance(a, nodes.Const) and isinstance(a.value, int) for a in call.args)
        ):
            _constant(call.lineno, _bounded_range, *[a.value for a in call.args if isinstance(a, nodes.Const)])
    return tree


def _binop(env: BoundedSandbox, operator: str, left: Any, right: Any) -> Any:
    _refuse_large_binop(operator, left, right)
    return env.binop_table[operator](left, right)


def _constant(line: int, compute: Callable[..., Any], *args: Any) -> None:
    try:
        compute(*args)
    except TemplateFailed as exc:
        raise TemplateFailed(exc.reason, line) from None
    except Exception as exc:  # noqa: BLE001  # what the expression would raise at every rendering
        raise TemplateFailed(f"template: {type(exc).__name__}: {_reason(exc)}", line) from None


def render(env: BoundedSandbox, source: str, context: dict[str, Any]) -> str:
    """``source`` rendered with ``context``, or :class:`TemplateFailed` naming what went wrong."""
    tree = check(env, source)
    token = _budget.set([MAX_ITEMS])
    try:
        return "".join(_capped(env.from_string(tree).generate(context)))
    except TemplateFailed:
        raise
    except TemplateError as exc:
        raise TemplateFailed(f"template: {exc.message or type(exc).__name__}") from None
    except Exception as exc:  # noqa: BLE001  # a template is user code: what it raises is that template's failure
        raise TemplateFailed(f"template: {type(exc).__name__}: {_reason(exc)}") from None
    finally:
        _budget.reset(token)


def _capped(chunks: Iterator[str]) -> Iterator[str]:
    total = 0
    for chunk in chunks:
        total += len(chunk)
        if total > MAX_OUTPUT:
            raise TooLarge(f"template: output over the limit of {MAX_OUTPUT:,} characters")
        yield chunk


def _reason(exc: Exception) -> str:
    text = getattr(exc, "message", None) or str(exc)
    return str(text)[:200]

"""A Sentry exception rendered the way its language prints it (pure), so ``error.stack_trace`` reads
like a traceback from a log file: the console's blame and frame parsing treat both alike.

Sentry's ``exception.values`` lists a chain oldest first, the exception that was raised last at the
end; each ``stacktrace.frames`` list runs from the outermost call to the one that raised. Python and
Ruby print frames in that order; Java, JavaScript/Node and PHP print the innermost call first.
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable, Sequence
from typing import Any

Frame = dict[str, Any]
Exc = dict[str, Any]

MAX_FRAMES = 200


def frames_of(exc: Exc) -> list[Frame]:
    stack = exc.get("stacktrace")
    frames = stack.get("frames") if isinstance(stack, dict) else None
    if not isinstance(frames, list):
        return []
    return [f for f in frames if isinstance(f, dict)][-MAX_FRAMES:]


def _text(value: Any) -> str:
    return value if isinstance(value, str) else "" if value is None else str(value)


def _file(frame: Frame) -> str:
    return _text(frame.get("filename") or frame.get("abs_path") or frame.get("module")) or "?"


def _line(frame: Frame) -> str:
    line = frame.get("lineno")
    return str(line) if isinstance(line, int) else "?"


def _headline(exc: Exc, *, module_prefix: bool = False) -> str:
    kind = _text(exc.get("type")) or "Error"
    module = _text(exc.get("module"))
    if module_prefix and module and module not in {"builtins", "__builtin__", "exceptions"}:
        kind = f"{module}.{kind}"
    value = _text(exc.get("value"))
    return f"{kind}: {value}" if value else kind


def _python(chain: Sequence[Exc]) -> str:
    blocks: list[str] = []
    for index, exc in enumerate(chain):
        if index:
            mechanism = exc.get("mechanism")
            source = mechanism.get("source") if isinstance(mechanism, dict) else None
            blocks.append(
                "\nThe above exception was the direct cause of the following exception:\n"
                if source == "__cause__"
                else "\nDuring handling of the above exception, another exception occurred:\n"
            )
        lines = []
        frames = frames_of(exc)
        if frames:
            lines.append("Traceback (most recent call last):")
            for frame in frames:
                lines.append(f'  File "{_file(frame)}", line {_line(frame)}, in {_text(frame.get("function")) or "?"}')
                context = _text(frame.get("context_line")).strip()
                if context:
                    lines.append(f"    {context}")
        lines.append(_headline(exc, module_prefix=True))
        blocks.append("\n".join(lines))
    return "\n".join(blocks)


def _java(chain: Sequence[Exc]) -> str:
    lines: list[str] = []
    for index, exc in enumerate(reversed(chain)):  # the last raised first, its causes after
        headline = _headline(exc, module_prefix=True)
        lines.append(headline if index == 0 else f"Caused by: {headline}")
        for frame in reversed(frames_of(exc)):
            module = _text(frame.get("module"))
            function = _text(frame.get("function")) or "?"
            where = f"{posixpath.basename(_file(frame))}:{_line(frame)}"
            lines.append(f"\tat {module + '.' if module else ''}{function}({where})")
    return "\n".join(lines)


def _javascript(chain: Sequence[Exc]) -> str:
    lines: list[str] = []
    for index, exc in enumerate(reversed(chain)):
        headline = _headline(exc)
        lines.append(headline if index == 0 else f"Caused by: {headline}")
        for frame in reversed(frames_of(exc)):
            column = frame.get("colno")
            where = f"{_text(frame.get('abs_path') or frame.get('filename')) or '?'}:{_line(frame)}"
            where += f":{column}" if isinstance(column, int) else ""
            function = _text(frame.get("function"))
            lines.append(f"    at {function} ({where})" if function else f"    at {where}")
    return "\n".join(lines)


def _php(chain: Sequence[Exc]) -> str:
    blocks: list[str] = []
    for index, exc in enumerate(reversed(chain)):
        frames = frames_of(exc)
        top = frames[-1] if frames else {}
        head = f"{_headline(exc)} in {_file(top)}:{_line(top)}" if top else _headline(exc)
        lines = [head if index == 0 else f"Next {head}", "Stack trace:"]
        for number, frame in enumerate(reversed(frames[:-1] if frames else [])):
            lines.append(f"#{number} {_file(frame)}({_line(frame)}): {_text(frame.get('function')) or '{main}'}()")
        lines.append(f"#{max(0, len(frames) - 1)} {{main}}")
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def _ruby(chain: Sequence[Exc]) -> str:
    lines: list[str] = []
    for exc in reversed(chain):
        frames = list(reversed(frames_of(exc)))
        kind, value = _text(exc.get("type")) or "RuntimeError", _text(exc.get("value"))
        if frames:
            first = frames[0]
            lines.append(f"{_file(first)}:{_line(first)}:in `{_text(first.get('function'))}': {value} ({kind})")
            lines.extend(f"\tfrom {_file(f)}:{_line(f)}:in `{_text(f.get('function'))}'" for f in frames[1:])
        else:
            lines.append(f"{value} ({kind})")
    return "\n".join(lines)


_RENDERERS: dict[str, Callable[[Sequence[Exc]], str]] = {
    "python": _python,
    "java": _java,
    "javascript": _javascript,
    "node": _javascript,
    "php": _php,
    "ruby": _ruby,
}


def render(chain: Sequence[Exc], platform: str) -> str:
    """The chain as ``platform`` prints it (Python's form for the platforms without one of their own)."""
    if not chain:
        return ""
    return _RENDERERS.get(platform, _python)(chain)

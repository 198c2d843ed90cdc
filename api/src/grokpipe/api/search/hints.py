"""Help for people who type queries: "did you mean" for a field the mapping does not have (ElastAlert-era and
pre-ECS names included), and the real syntax error of a query (an unclosed parenthesis or quote) instead of
the parser's first confusion. The query language's (:mod:`.query`), so rules and search share it.

Pure functions over data, so the table-driven tests show every case.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from grokpipe.api.errors import InvalidRule

#: ElastAlert-era and pre-ECS field names people type, and the ECS field the pipelines write
FIELD_ALIASES: dict[str, str] = {
    "status": "http.response.status_code",
    "http.status": "http.response.status_code",
    "status_code": "http.response.status_code",
    "response": "http.response.status_code",
    "level": "log.level",
    "severity": "log.level",
    "loglevel": "log.level",
    "host": "host.name",
    "hostname": "host.name",
    "beat.hostname": "host.name",
    "clientip": "source.ip",
    "client_ip": "source.ip",
    "remote_addr": "source.ip",
    "request": "url.original",
    "uri": "url.original",
    "verb": "http.request.method",
    "method": "http.request.method",
    "agent": "user_agent.original",
    "timestamp": "@timestamp",
    "type": "event.dataset",
    "program": "process.name",
}


def did_you_mean(unknown: str, known: Iterable[str]) -> str | None:
    """The mapped field ``unknown`` most likely means, or None."""
    fields = sorted(set(known))
    if not fields:
        return None
    alias = FIELD_ALIASES.get(unknown.lower())
    if alias is not None and alias in fields:
        return alias
    lowered = {f.lower(): f for f in fields}
    if unknown.lower() in lowered:
        return lowered[unknown.lower()]
    # every dotted part a prefix of a part of the field, in order (http.status -> http.response.status_code)
    parts = unknown.lower().split(".")
    ordered = [f for f in fields if _parts_in_order(parts, f.lower().split("."))]
    if ordered:
        return min(ordered, key=lambda f: (len(f.split(".")), len(f)))
    close = difflib.get_close_matches(unknown, fields, n=1, cutoff=0.75)
    if close:
        return close[0]
    last = parts[-1]
    same_leaf = [f for f in fields if f.lower().split(".")[-1] == last]
    return min(same_leaf, key=len) if len(same_leaf) == 1 else None


def _parts_in_order(parts: list[str], candidate: list[str]) -> bool:
    i = 0
    for part in candidate:
        if i < len(parts) and part.startswith(parts[i]):
            i += 1
    return i == len(parts) and len(parts) > 1 and candidate[0] == parts[0]


def unknown_fields(unknown: list[str], known: Iterable[str]) -> InvalidRule:
    """The 422 for fields the mapping lacks, with the nearest mapped field of each."""
    fields = list(known)
    suggestions = {name: hint for name in unknown if (hint := did_you_mean(name, fields)) is not None}
    named = ", ".join(
        f"{name} (did you mean {suggestions[name]}?)" if name in suggestions else name for name in unknown
    )
    if not suggestions:
        return InvalidRule(f"unknown fields: {named}", fields=unknown)
    return InvalidRule(f"unknown fields: {named}", fields=unknown, suggestions=suggestions)


_PAIRS = {"(": ")", "[": "]", "{": "}"}
_CLOSERS = {v: k for k, v in _PAIRS.items()}


def syntax_problem(text: str) -> tuple[str, int] | None:
    """An unclosed quote, parenthesis or range bracket, or an unmatched closing one: (reason, position).

    Lucene ranges may mix brackets (``[1 TO 5}``), so any opener closes with any closer; escaped
    characters and everything inside quotes are skipped.
    """
    stack: list[tuple[str, int]] = []
    quote: int | None = None
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if quote is not None:
            if char == '"':
                quote = None
        elif char == '"':
            quote = i
        elif char in _PAIRS:
            stack.append((char, i))
        elif char in _CLOSERS:
            if not stack:
                return f"unmatched {char!r} at position {i}: nothing opened it", i
            opener, _ = stack.pop()
            if (opener == "(") != (char == ")"):
                return f"{char!r} at position {i} closes {opener!r}", i
        i += 1
    if quote is not None:
        return f"unclosed quote: the '\"' at position {quote} is never closed", quote
    if stack:
        opener, at = stack[-1]
        what = "parenthesis" if opener == "(" else "range bracket"
        return f"unclosed {what}: the {opener!r} at position {at} is never closed", at
    return None


def check_syntax(text: str) -> None:
    """Raise the 422 naming the real syntax error, if :func:`syntax_problem` finds one."""
    found = syntax_problem(text)
    if found is not None:
        reason, position = found
        raise InvalidRule("query syntax error", reason=reason, position=position)

"""RFC 5424's grammar: which of its rules a message breaks, and its structured data.

The parser keeps every message whatever it breaks; this module says what was broken, by the name of
the rule in RFC 5424 section 6 (its ABNF), so ``log.syslog.nonconformant`` lists, for example,
``["APP-NAME", "PARAM-VALUE"]``:

=================== ==========================================================================
rule                broken when
=================== ==========================================================================
``PRI``             the PRIVAL has a leading zero (``<013>``)
``TIMESTAMP``       not ``FULL-DATE "T" FULL-TIME`` with an upper-case ``T`` and ``Z``, at most six
                    fraction digits, an offset within ±23:59, a date and time that exist; or
                    missing (the frame stops after VERSION)
``HOSTNAME``        empty, over 255 characters, or not printable US-ASCII (``%d33-126``)
``APP-NAME``        the same, over 48 characters
``PROCID``          the same, over 128 characters
``MSGID``           the same, over 32 characters
``STRUCTURED-DATA`` neither ``-`` nor ``[``, or not followed by a space (or the end)
``SD-ID``           empty, over 32 characters, or holding ``=``, space, ``]``, ``"`` or non-ASCII
``SD-ID-duplicate`` the same SD-ID twice in one message (section 6.3.2's MUST NOT)
``PARAM-NAME``      empty, over 32 characters, or not printable US-ASCII
``PARAM-VALUE``     not in double quotes, or ``"``, ``\\`` or ``]`` inside it unescaped
=================== ==========================================================================

A value keeps what the sender meant: ``\\"``, ``\\\\`` and ``\\]`` are unescaped, a backslash before
any other character stays (section 6.3.3). Repeated PARAM-NAMEs and SD-IDs keep every value, as lists.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

_PRINTABLE_MAX = {"HOSTNAME": 255, "APP-NAME": 48, "PROCID": 128, "MSGID": 32}
STRICT_TIME = re.compile(r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.\d{1,6})?(?:Z|[+-](?:[01]\d|2[0-3]):[0-5]\d)")
_SD_ID_END = re.compile(r'[^ \]="]*')
# SD-NAME: 1*32 PRINTUSASCII except '=', SP, ']', '"'; a conformant PARAM-VALUE escapes '"', '\' and ']'
_SD_NAME = re.compile(r"[!#-<>-\\^-~]{1,32}")
_PARAM = re.compile(r' ([!#-<>-\\^-~]{1,32})="((?:[^"\\\]]|\\["\\\]])*)"', re.S)
_ANY_PARAM = re.compile(r' ([^ =\]"]+)="((?:[^"\\]|\\.)*)"', re.S)
_ESCAPE = re.compile(r"\\([\"\\\]])")
_VERSION_SP = re.compile(r"[1-9]\d{0,2} ")


def printable(value: str) -> bool:
    """PRINTUSASCII: ``%d33-126``."""
    return value.isascii() and value.isprintable() and " " not in value


def header_violations(pri: str, stamp_conforms: bool, fields: tuple[str, str, str, str]) -> list[str]:
    """The rules that PRI, TIMESTAMP and (HOSTNAME, APP-NAME, PROCID, MSGID), split at spaces, break, in order."""
    host, app, procid, msgid = fields
    joined = host + app + procid + msgid
    if (
        stamp_conforms
        and (len(pri) == 1 or pri[0] != "0")
        and len(host) <= 255
        and len(app) <= 48
        and len(procid) <= 128
        and len(msgid) <= 32
        and joined.isascii()
        and joined.isprintable()
    ):
        return []  # the common case, in one pass
    broken: list[str] = []
    if len(pri) > 1 and pri[0] == "0":
        broken.append("PRI")
    if not stamp_conforms:
        broken.append("TIMESTAMP")
    for (rule, limit), value in zip(_PRINTABLE_MAX.items(), fields, strict=True):
        if value != "-" and (len(value) > limit or not printable(value)):
            broken.append(rule)
    return broken


def strict_timestamp(stamp: str) -> bool:
    """``stamp`` is RFC 5424's TIMESTAMP (not NILVALUE) and names a time that exists."""
    match = STRICT_TIME.fullmatch(stamp)
    if match is None:
        return False
    try:
        datetime.fromisoformat(match[1])
    except ValueError:  # Feb 30, hour 24
        return False
    return True


def first_broken_rule(pri: str, after_pri: str) -> str | None:
    """For a frame that starts ``<PRI>VERSION SP`` but whose header is not six space-separated
    fields: the first rule it breaks, reading the fields left to right (None if it is not such a frame)."""
    version = _VERSION_SP.match(after_pri)
    if version is None:
        return None
    if len(pri) > 1 and pri[0] == "0":
        return "PRI"
    parts = after_pri[version.end() :].split(" ", 5)
    stamp = parts[0]
    if stamp != "-" and not strict_timestamp(stamp):
        return "TIMESTAMP"
    for (rule, limit), value in zip(_PRINTABLE_MAX.items(), [*parts[1:5], "", "", "", ""], strict=False):
        if value != "-" and (not value or len(value) > limit or not printable(value)):
            return rule
    return "STRUCTURED-DATA"


def structured_data(rest: str) -> tuple[dict[str, Any], str, str | None, list[str]] | None:
    """``[id k="v" ...][id2 ...] MSG``: (elements, message, the SD text when an element did not parse,
    the rules broken), or None when an element never ends (no ``]`` outside a quoted value)."""
    elements: dict[str, Any] = {}
    broken: list[str] = []
    unreadable = False
    pos = 0
    while pos < len(rest) and rest[pos] == "[":
        params, rule = _element(rest, pos)
        if params is None:  # skip to the element's end, if it has one
            end = _element_end(rest, pos)
            if end < 0:
                return None
            unreadable, pos = True, end
            _note(broken, rule)
            continue
        sd_id, values, pos = params
        if rule:
            _note(broken, rule)
        if sd_id in elements:
            _note(broken, "SD-ID-duplicate")
        add(elements, sd_id, values)
    message = rest[pos:]
    if message.startswith(" "):
        message = message[1:]
    elif message:
        _note(broken, "STRUCTURED-DATA")
    return elements, message, (rest[:pos] if unreadable else None), broken


def _element(rest: str, pos: int) -> tuple[tuple[str, dict[str, Any], int] | None, str]:
    """The element at ``rest[pos] == '['``: ((SD-ID, params, index after ``]``) or None when it does
    not parse, the first rule it breaks or "")."""
    end_id = _SD_ID_END.match(rest, pos + 1).end()  # type: ignore[union-attr]  # matches the empty string
    sd_id = rest[pos + 1 : end_id]
    if not sd_id or end_id >= len(rest) or rest[end_id] in '="':
        return None, "SD-ID"
    rule = "" if _SD_NAME.fullmatch(sd_id) else "SD-ID"
    params: dict[str, Any] = {}
    pos = end_id
    while rest.startswith(" ", pos):
        param = _PARAM.match(rest, pos)
        if param is None:  # not conformant: read it anyway, and say which rule it breaks
            param = _ANY_PARAM.match(rest, pos)
            if param is None:
                name = rest[pos + 1 :].split("=", 1)[0]
                return None, ("PARAM-VALUE" if name and printable(name) else "PARAM-NAME")
            if not rule:
                rule = "PARAM-VALUE" if _SD_NAME.fullmatch(param[1]) else "PARAM-NAME"
        name, value = param[1], param[2]
        if "\\" in value:
            value = _ESCAPE.sub(r"\1", value)
        add(params, name, value)
        pos = param.end()
    if not rest.startswith("]", pos):
        return None, "PARAM-VALUE"
    return (sd_id, params, pos + 1), rule


def _element_end(rest: str, pos: int) -> int:
    """Index after the ``]`` that closes the element at ``pos`` (quotes and escapes honoured), or -1."""
    quoted = False
    i = pos + 1
    while i < len(rest):
        c = rest[i]
        if c == "\\" and quoted:
            i += 2
            continue
        if c == '"':
            quoted = not quoted
        elif c == "]" and not quoted:
            return i + 1
        i += 1
    return -1


def _note(broken: list[str], rule: str) -> None:
    if rule and rule not in broken:
        broken.append(rule)


def add(into: dict[str, Any], key: str, value: Any) -> None:
    """``into[key] = value``, or a list of every value once the key repeats."""
    if key not in into:
        into[key] = value
    elif isinstance(into[key], list) and not isinstance(value, list):
        into[key].append(value)
    else:
        into[key] = [into[key], value]


__all__ = [
    "STRICT_TIME",
    "add",
    "first_broken_rule",
    "header_violations",
    "printable",
    "strict_timestamp",
    "structured_data",
]

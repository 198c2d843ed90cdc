"""Masking the parts of a message that vary per occurrence, the way Sentry parameterises messages.

``connect to 10.0.0.3:5432 timed out after 3000ms`` -> ``connect to <host:port> timed out after
<duration>``. The rules run in a fixed order over the whole text, each replacing what it finds by a
placeholder the later rules do not touch (placeholders hold no digits), so the result depends on
the message alone: the same message always masks the same way, and a group key made from it stays
put however many other messages arrive (template miners such as drain3 re-cluster as they learn,
which would move keys).

=============  ==================================================================  ==============
placeholder    what                                                                 example
=============  ==================================================================  ==============
``<str>``      "double", 'single' (not an apostrophe) and `backtick` quoted text    ``"discount"``
``<url>``      scheme://...                                                         ``https://x/y``
``<email>``    local@domain.tld                                                     ``bob@x.org``
``<uuid>``     8-4-4-4-12 hex                                                       ``123e4567-...``
``<date>``     ISO 8601, nginx, HTTP, syslog/ctime and RFC 2822 dates; hh:mm:ss     ``2026-11-22``
``<host:port>``  IPv4, [IPv6], localhost or a dotted host name, then :port          ``db.lan:5432``
``<ip>``       IPv4 and IPv6 addresses                                              ``10.0.0.3``
``<duration>`` a number with a time unit (ns, us, ms, s, m, h, d, seconds...)       ``3000ms``
``<hex>``      0x..., and 7+ hex digits holding both a digit and a letter           ``0x7f3a``
``<float>``    a decimal (or dotted version) number standing on its own             ``1.5``
``<int>``      an integer standing on its own (not inside a word: php8, HY000)      ``42``
=============  ==================================================================  ==============

Bounded work: only the first :data:`MASK_CHARS` characters are masked (a title shows 300 of them,
a grouping key needs no more to tell messages apart); the rules cost up to ~10 µs a character on
hostile text (a line of ``1 1 1 ...``), so a 50 KB first line took 1.7 s and a 1 MiB one 25 s before
this bound, and takes ~10 ms at most now. :func:`cut` says whether a text is past it.

A host name followed by a port is masked only when it is ``localhost``, an IP or has a dot and
does not end in a source-file extension (``Cart.php:57`` stays a file and line: ``Cart.php:<int>``);
a single word before a colon (``db:5432``, ``retry:3``) keeps the word and masks the number.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable

import regex

#: Placeholders, named once so that tests and readers agree on them.
STR, URL, EMAIL, UUID, DATE = "<str>", "<url>", "<email>", "<uuid>", "<date>"
HOST_PORT, IP, DURATION, HEX, FLOAT, INT = "<host:port>", "<ip>", "<duration>", "<hex>", "<float>", "<int>"

#: Endings that make ``name.ext:57`` a file and line rather than a host and port.
_SOURCE_EXTENSIONS = frozenset(
    {
        "php", "phtml", "inc", "py", "pyx", "java", "kt", "kts", "scala", "groovy", "js", "mjs", "cjs", "ts",
        "tsx", "jsx", "rb", "go", "rs", "c", "cc", "cpp", "cxx", "h", "hpp", "cs", "swift", "m", "mm", "pl", "pm",
        "lua", "ex", "exs", "erl", "hs", "clj", "sh", "yml", "yaml", "json", "xml", "html", "tpl", "twig", "jsp",
    }
)  # fmt: skip

_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_DAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_CLOCK = r"\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
_ZONE = r"(?:\s?(?:Z|UTC|GMT|[+-]\d{2}:?\d{2}))?"
_DATES = "|".join(
    (
        rf"\d{{4}}-\d{{2}}-\d{{2}}(?:[T ]{_CLOCK}{_ZONE})?",  # ISO 8601 / Python logging
        rf"\d{{4}}/\d{{2}}/\d{{2}}(?: {_CLOCK})?",  # nginx error log
        rf"\d{{1,2}}/{_MONTH}/\d{{4}}(?::{_CLOCK}{_ZONE})?",  # HTTP (access logs)
        rf"\d{{1,2}}-{_MONTH}-\d{{4}}(?: {_CLOCK})?",  # PHP error_log
        rf"(?:{_DAY},? )?\d{{1,2}} {_MONTH} \d{{4}}(?: {_CLOCK}{_ZONE})?",  # RFC 2822
        rf"(?:{_DAY} )?{_MONTH} [ \d]\d(?: {_CLOCK})?(?: \d{{4}})?",  # syslog, ctime
        rf"{_CLOCK}",  # a time of day alone
    )
)
_HOST_PORT = regex.compile(
    r"(?<![\w.:-])(?P<host>\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}|[A-Za-z][\w-]*(?:\.[\w-]+)*):(?P<port>\d{1,5})(?![\w.]*\w)"
)


def _host_port(found: regex.Match[str]) -> str:
    host = found["host"]
    last = host.rsplit(".", 1)[-1].lower()
    is_host = (
        host.startswith("[")
        or host[0].isdigit()
        or host == "localhost"
        or ("." in host and last.isalpha() and last not in _SOURCE_EXTENSIONS)
    )
    return HOST_PORT if is_host else str(found[0])


def _ipv6(found: regex.Match[str]) -> str:
    text = str(found[0])
    if not any(char.isdigit() for char in text):  # Cafe::add() is a static call, not an address
        return text
    try:
        ipaddress.IPv6Address(text.split("%", 1)[0])
    except ValueError:
        return text
    return IP


def _number(found: regex.Match[str]) -> str:
    return FLOAT if "." in found[0] else INT


Rule = tuple[regex.Pattern[str], str | Callable[[regex.Match[str]], str]]

#: In order: each rule sees the text the rules before it left.
RULES: tuple[Rule, ...] = (
    (regex.compile(r"\"[^\"\n]*\"|(?<!\w)'[^'\n]*'(?!\w)|`[^`\n]*`"), STR),
    (regex.compile(r"\b[A-Za-z][A-Za-z0-9+.-]*://[^\s\"'<>()\[\]]+"), URL),
    (regex.compile(r"\b[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+\b"), EMAIL),
    (regex.compile(r"\b[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\b"), UUID),
    (regex.compile(rf"(?<![\w:.])(?:{_DATES})(?![\w:]|\.\d)"), DATE),
    (_HOST_PORT, _host_port),
    (regex.compile(r"(?<![\w.])\d{1,3}(?:\.\d{1,3}){3}(?![\w]|\.\d)"), IP),
    (regex.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?:%\w+)?(?![\w:])"), _ipv6),
    (
        regex.compile(
            r"(?<![\w.])(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h|d)){1,4}(?!\w)"
            r"|(?<![\w.])\d+(?:\.\d+)? ?"
            r"(?:ms|us|µs|ns|milliseconds?|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?)(?!\w)"
        ),
        DURATION,
    ),
    (regex.compile(r"\b0x[0-9A-Fa-f]+\b|\b(?=[0-9A-Fa-f]*[A-Fa-f])(?=[0-9A-Fa-f]*\d)[0-9A-Fa-f]{7,}\b"), HEX),
    (regex.compile(r"(?<![\w.])\d+(?:\.\d+)*(?!\w|\.\d)"), _number),
)


#: Characters of a message that are masked; the rest is left out (see the module's note).
MASK_CHARS = 1024


def cut(message: str) -> bool:
    """Whether :func:`mask` leaves part of ``message`` out."""
    return len(message) > MASK_CHARS


def mask(message: str) -> str:
    """``message`` (its first :data:`MASK_CHARS` characters) with its variable parts replaced by
    placeholders, whitespace runs made one space."""
    text = message[:MASK_CHARS]
    for pattern, replacement in RULES:
        text = pattern.sub(replacement, text)
    return " ".join(text.split())

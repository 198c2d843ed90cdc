"""Token-level masking: a message becomes a sequence of key tokens, with one placeholder for any variable.

A token (text between spaces) is cut into runs of letters-and-digits and runs of punctuation. A run
that holds a digit, or is 8+ hex letters (``ffffffff``), is a value; a ``-`` or ``+`` glued in front
of a value's digits is its sign (``blk_-123`` and ``blk_123`` mask alike). Values and the punctuation
between them fold into one ``<*>``: ``10.251.73.220:50010`` -> ``<*>``, ``rdd_2_0`` -> ``rdd_<*>``,
``mask=ffffffff`` -> ``mask=<*>``.

A ``name=value`` token masks its value whatever it holds (``user=root``, ``rhost=host.example``,
``tag="a quoted value"`` with its spaces), and so does a DNS name ending in a common top-level
domain (``dsl.example.net``).

The *template* keeps the literal part of each token (``blk_<*>``, ``core.<*>``) for readers; the
*key* uses one placeholder for any token holding a value (``<*>``), so ``broadcast_9``, ``rdd_2_0``
and ``broadcast_9_piece0`` in the same slot give the same key, while two different literal words
never do. Runs of the same masked token (a list of IPs, of block ids) fold into one, and so does a
size or time unit after a number (``5.2 KB``, ``<1 sec``).

Work per message is bounded: at most :data:`MAX_CHARS` characters and :data:`MAX_TOKENS` tokens are
looked at; the rest becomes one trailing ``<*>`` so a 1 MiB line or 100,000 tokens cost the same
as a long normal line. Characters that are not printable (binary garbage, U+FFFD from invalid UTF-8)
count as value characters; other non-ASCII letters are letters.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from typing import Final

VAR: Final = "<*>"
#: Characters of one message looked at (the rest is one trailing placeholder).
MAX_CHARS: Final = 4096
#: Tokens of one message looked at (the rest is one trailing placeholder).
MAX_TOKENS: Final = 128
#: Masked tokens remembered (the memo is cleared when full).
CACHE_SIZE: Final = 65536
#: Message shapes remembered (see :func:`split`).
SHAPE_CACHE_SIZE: Final = 8192

_CACHE: dict[str, str] = {}
_SHAPES: dict[bytes, tuple[str, ...]] = {}
_DESCRIBED: dict[bytes, tuple[str, str]] = {}
_BY_DIGITS: dict[bytes, tuple[str, str]] = {}
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SHAPE_BYTES = bytes.maketrans(b"123456789" + _CONTROL_BYTES, b"0" * (9 + len(_CONTROL_BYTES)))
_DIGIT_RUNS = re.compile(r"[0-9]+")
#: Control characters and U+FFFD (what invalid UTF-8 decodes to) count as value characters.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffd]")
_RUNS = re.compile(r"[A-Za-z0-9]+|[^A-Za-z0-9]+")
_HEX_LETTERS = re.compile(r"[a-fA-F]{8,}")
_DIGIT = re.compile(r"[0-9]")
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.?"
_WEEKDAY = r"(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*\.?,?"
_MONTH_OR_DAY = re.compile(rf"\b(?:{_MONTH}|{_WEEKDAY})\s")
#: A date written with a month or weekday name inside a message: one value (``at Wed Jun 22 13:16:30 2005``).
_DATE_IN_TEXT = re.compile(
    rf"\b(?:{_WEEKDAY}\s+)?(?:{_MONTH}\s+\d+|\d+\s+{_MONTH})(?:,?\s+\d+(?![\d:]))?"
    rf"(?:\s+\d+:\d+(?::\d+(?:[.,]\d+)?)?)?(?:\s+[A-Z]{{3,4}})?(?:\s+\d+)?\b"
)
_UNIT = re.compile(r"(?:[KMGTP]i?B|B|bytes?|[mun]s|secs?|msec)([,;:.)\]]*)")
_NAMED_VALUE = re.compile(r"[(\[{]?[A-Za-z_][\w.\-]*[=:]<\*>[)\]},;]?")
_PREFIXED_PAIR = re.compile(r"([A-Za-z_][\w.\-]*:)[A-Za-z_][\w.\-]*=\S*")
_TLD = (
    "com|net|org|edu|gov|mil|int|io|info|biz|cn|hk|jp|kr|tw|de|uk|fr|ru|br|in|au|ca|nl|it|es|om|local|lan|internal|arpa"
)
_HOST = re.compile(rf"([(\[<'\"]?)(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+(?:{_TLD})\.?([)\]>'\",;:]*)", re.IGNORECASE)
_HEX_GROUPS = re.compile(r"[(\[]?[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}[)\],;.]?")
_PAIR = re.compile(r"([(\[{]?[A-Za-z_][\w.\-]*=)[^=\s]+?([)\]},;]?)")
#: A path of two parts or more, or a URL, with the quotes or brackets around it: one value.
_PATH_TOKEN = re.compile(
    r"""([("'\[<]?)(?:/[^/\s"'()\[\]<>]+(?:/[^/\s"'()\[\]<>]*)+|[A-Za-z]:\\[^\s"']*|[a-z][a-z0-9+.\-]*://[^\s"']+)"""
    r"""([)"'\]>,;:.]*)"""
)
#: ``name="a quoted value"``: one value, spaces and all (``tag="View Lock"`` as ``tag="*launch*"``).
_QUOTED_PAIR = re.compile(r'(?<![^\s(\[{,])([A-Za-z_][\w.\-]*=)"[^"]{0,256}"')
#: Letters that read as a word: lower case, upper case, or capitalised (not ``bLzOS``, a random token's).
_WORDLIKE = re.compile(r"[a-z]+|[A-Z]+|[A-Z][a-z]+")
_WORD_NUMBER = re.compile(r"([A-Za-z]*[g-zG-Z][A-Za-z]*)[0-9]+")


def _is_value(run: str) -> bool:
    return _DIGIT.search(run) is not None or _HEX_LETTERS.fullmatch(run) is not None


def mask_token(token: str) -> str:
    """The template form of one token: value runs (with the punctuation between them) as ``<*>``.

    Results of tokens up to 64 characters are memoised (a pure function's cache: every process
    computes the same result with or without it), at most :data:`CACHE_SIZE` at a time.
    """
    hit = _CACHE.get(token)
    if hit is not None:
        return hit
    masked = _mask(token)
    if len(token) <= 64:
        if len(_CACHE) >= CACHE_SIZE:
            _CACHE.clear()
        _CACHE[token] = masked
    return masked


def _mask(token: str) -> str:
    if token.isalpha() and _HEX_LETTERS.search(token) is None:
        return token
    if not token.isprintable() or "\ufffd" in token:
        token = _CONTROL.sub("0", token)
    pair = _PAIR.fullmatch(token)
    if pair:  # name=value: the value is a parameter whatever it holds (user=root, rhost=host.example)
        return pair.group(1) + VAR + pair.group(2)
    pair = _PREFIXED_PAIR.fullmatch(token)
    if pair:  # environment:os.name=Linux
        return pair.group(1) + VAR
    if _HEX_GROUPS.fullmatch(token) and _DIGIT.search(token):  # IPv6, MAC: 2607:f140::fecd:467f
        return VAR
    path = _PATH_TOKEN.fullmatch(token)
    if path:  # a file path or URL: /usr/share/nginx/html/x.png, C:\Windows\x, http://host/x
        return path.group(1) + VAR + path.group(2)
    host = _HOST.fullmatch(token)
    if host:  # a DNS name: dsl.static.example.net
        return host.group(1) + VAR + host.group(2)
    if _DIGIT.search(token) is None and _HEX_LETTERS.search(token) is None:
        return token
    out: list[str] = []
    pending = ""  # punctuation not yet written: dropped if it sits between two values
    last_var = False
    for run in _RUNS.findall(token):
        if not run[0].isalnum():
            pending += run
            continue
        if not _is_value(run):
            out.append(pending + run)
            pending, last_var = "", False
            continue
        prefix = ""
        word = _WORD_NUMBER.fullmatch(run)
        if word and _WORDLIKE.fullmatch(word.group(1)):  # storage234 -> storage<*>; bLzOS78 (base64) is all value
            prefix = word.group(1)
        if last_var and not prefix:
            pending = ""
            continue
        if pending.endswith(("-", "+")) and (
            (len(pending) == 1 and not out) or (len(pending) > 1 and pending[-2] in "_=:/([")
        ):
            pending = pending[:-1]  # a sign glued to the number: blk_-1 as blk_1
        out.append(pending + prefix + VAR)
        pending, last_var = "", True
    out.append(pending)
    return "".join(out)


def is_variable(template_token: str) -> bool:
    return VAR in template_token


def is_pure_variable(template_token: str) -> bool:
    """A token that is a value with punctuation only (``<*>``, ``(<*>``, ``<*>,``), no word."""
    return VAR in template_token and not re.search(r"[A-Za-z]", template_token.replace(VAR, ""))


def pattern_id(key: Sequence[str]) -> str:
    """A short stable id of a key (the same key gives the same id in every process)."""
    return hashlib.blake2b("\x1f".join(key).encode("utf-8", "replace"), digest_size=6).hexdigest()


def describe(message: str) -> tuple[str, str]:
    """``(key, template)`` of a message: the id of its key tokens and its template as text.

    Memoised by the message's shape like :func:`split` (the per-event work of the indexer), and
    before that by its *digit shape* (each digit as ``0``, runs not folded: one translate, no
    loop), so a stream of one kind of line mostly costs an encode, a translate and a lookup.
    """
    truncated = len(message) > MAX_CHARS
    text = message[:MAX_CHARS] if truncated else message
    digits = text.encode("utf-8", "surrogatepass").translate(_SHAPE_BYTES)
    if truncated:
        digits += b"\x01"
    hit = _BY_DIGITS.get(digits)
    if hit is not None:
        return hit
    memo, truncated = _shape(message)
    hit = _DESCRIBED.get(memo)
    if hit is None:
        hit = _describe(memo, truncated)
    if len(digits) <= 1024:
        if len(_BY_DIGITS) >= SHAPE_CACHE_SIZE:
            _BY_DIGITS.clear()
        _BY_DIGITS[digits] = hit
    return hit


def _describe(memo: bytes, truncated: bool) -> tuple[str, str]:
    template = _SHAPES.get(memo)
    tokens = list(template) if template is not None else _split(_shape_text(memo, truncated), truncated)
    described = (pattern_id(key_tokens(tokens)), " ".join(tokens))
    if len(memo) <= 2048:
        if len(_DESCRIBED) >= SHAPE_CACHE_SIZE:
            _DESCRIBED.clear()
        _DESCRIBED[memo] = described
    return described


def _shape(message: str) -> tuple[bytes, bool]:
    """(memo key, truncated): digits and control characters as ``0``, runs of them as one.

    The memo key is computed on the UTF-8 bytes (one C-level translate and a few replaces, the
    cheapest pass over the message there is); the shape text only when the key is new.
    """
    truncated = len(message) > MAX_CHARS
    text = message[:MAX_CHARS] if truncated else message
    memo = text.encode("utf-8", "surrogatepass").translate(_SHAPE_BYTES)
    while b"00" in memo:
        memo = memo.replace(b"00", b"0")
    if truncated:
        memo += b"\x01"  # control bytes never stay in a memo key
    return memo, truncated


def _shape_text(memo: bytes, truncated: bool) -> str:
    text = (memo[:-1] if truncated else memo).decode("utf-8", "replace").replace("\ufffd", "0")
    return _DIGIT_RUNS.sub("0", text)


def split(message: str) -> list[str]:
    """Template tokens of a message, within the bounds of :data:`MAX_CHARS` and :data:`MAX_TOKENS`.

    Every rule here gives the same result when each run of digits is replaced by one ``0`` (the
    *shape* of the message), so the tokens of a shape are memoised: a stream of one kind of line
    costs one substitution and one lookup per message. The memo holds at most
    :data:`SHAPE_CACHE_SIZE` shapes of at most 2048 characters (a pure function's cache: the result
    is the same with or without it).
    """
    memo, truncated = _shape(message)
    hit = _SHAPES.get(memo)
    if hit is not None:
        return list(hit)
    out = _split(_shape_text(memo, truncated), truncated)
    if len(memo) <= 2048:
        if len(_SHAPES) >= SHAPE_CACHE_SIZE:
            _SHAPES.clear()
        _SHAPES[memo] = tuple(out)
    return out


def _split(text: str, truncated: bool) -> list[str]:
    if _MONTH_OR_DAY.search(text):
        text = _DATE_IN_TEXT.sub(VAR, text)
    if '="' in text:
        text = _QUOTED_PAIR.sub(r"\1" + VAR, text)
    raw = text.split(None, MAX_TOKENS)
    if len(raw) > MAX_TOKENS:
        raw = raw[:MAX_TOKENS]
        truncated = True
    out: list[str] = []
    for token in raw:
        masked = mask_token(token)
        if out and VAR in masked and out[-1] == masked:
            continue  # a list of values of one kind is one slot
        if out and out[-1].endswith(VAR):
            unit = _UNIT.fullmatch(token)
            if unit and is_pure_variable(out[-1]):
                out[-1] += unit.group(1)  # 5.2 KB, <1 sec: the unit is part of the value
                continue
        out.append(masked)
    if truncated and (not out or out[-1] != VAR):
        out.append(VAR)
    return out


def key_tokens(template: Sequence[str]) -> tuple[str, ...]:
    """One placeholder for every token that holds a value (a ``name=<*>`` pair keeps its name: the
    name is part of what the message says); consecutive placeholders fold."""
    return key_with_positions(template)[0]


def key_with_positions(template: Sequence[str]) -> tuple[tuple[str, ...], list[list[int]]]:
    """:func:`key_tokens` and, for each key token, the template tokens it stands for."""
    out: list[str] = []
    positions: list[list[int]] = []
    for index, token in enumerate(template):
        t = token if VAR not in token or _NAMED_VALUE.fullmatch(token) else VAR
        if t == VAR and out and out[-1] == VAR:
            positions[-1].append(index)
            continue
        out.append(t)
        positions.append([index])
    return tuple(out), positions

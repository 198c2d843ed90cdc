"""Masking credentials before documents reach Elasticsearch, the way Sentry scrubs event data.

Every string of the event is looked at once the dataset's pipeline has run (``message``,
``event.original``, ``url.*`` and whatever the pipeline parsed), except the envelope's own fields
(``@timestamp``, ``data_stream``, ``tags``, ``agent``, ``ecs``, ``input``). The key name stays, the
value becomes ``[Filtered]`` (Sentry's marker, which no real value looks like), and the event is
tagged ``scrubbed``:

==========================================  ===============================================
found                                       becomes
==========================================  ===============================================
``?token=abc&page=2``, ``password=x``       ``?token=[Filtered]&page=2``, ``password=[Filtered]``
``password="a b"`` (logfmt, syslog SD)      ``password="[Filtered]"``
``"password": "x"``, ``'api_key': 'x'``     ``"password": "[Filtered]"`` (JSON, Python reprs)
``'password' => 'x'``, ``[password] => x``  the same (PHP ``var_export`` / ``print_r``)
``Authorization: Bearer eyJ...``            ``Authorization: Bearer [Filtered]`` (any scheme)
``Cookie: sid=1; theme=dark``               ``Cookie: sid=[Filtered]; theme=[Filtered]``
``Set-Cookie: sid=1; Path=/``               ``Set-Cookie: sid=[Filtered]; Path=/``
``X-Api-Key: abc``                          ``X-Api-Key: [Filtered]`` (``X-*`` headers by key name)
``Bearer eyJ...`` on its own                ``Bearer [Filtered]``
``postgresql://app:s3cret@db/app``          ``postgresql://app:[Filtered]@db/app``
a field named ``password``, ``cookie``...   its whole value
==========================================  ===============================================

Which key names are secret: those containing one of :data:`SUBSTRINGS` (``client_secret``,
``access_token``, ``X-Amz-Signature``...) and those equal to one of :data:`EXACT` (``auth``,
``sig``, ``pwd``, ``session``...; for ``a.b[c]`` the last part ``c`` counts), compared in lower case
with ``-`` read as ``_``; ``scrub.keys`` adds exact names. One exception: ``PWD=/an/absolute/path``
is sudo's working directory in every sudo log line, not a password, and stays.

Cost: most strings hold none of the candidate words, and one precompiled search of the lower-cased
string (:attr:`Scrubber.candidate`) rules them out; only the rest run the rules. Values under a
plain key that came out unchanged are remembered (a bounded set of short strings: user agents,
referrers, paths repeat), so the next event's copy costs one dict lookup. ``scrub.patterns``
are user regexes and run on every string.

Bounded work per string: the candidate search of a long string (over :data:`_LONG` characters) is
one substring search per candidate word, not the alternation (which costs ~0.2 s a MiB); and each
rule masks at most :data:`MAX_MASKS` values in one string: past that, the rest of the string is
masked whole and the event tagged ``_scrublimit`` (a 900 KB line of ``token=a&token=a&...`` took
3-6 s of masking before this bound). Nothing is left unmasked to save time.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable
from typing import Any

import orjson

from grokpipe.indexer.config import ScrubSettings
from grokpipe.indexer.fields import Event, add_tag

MASK = "[Filtered]"
TAG = "scrubbed"
#: A string had more than MAX_MASKS values for one rule: the rest of it was masked whole.
TAG_LIMIT = "_scrublimit"
MAX_MASKS = 1000

#: A key containing one of these is secret.
SUBSTRINGS = (
    "password", "passwd", "passphrase", "secret", "token", "api_key", "apikey", "private_key", "privatekey",
    "credential", "signature", "sessionid", "session_id", "sessid", "access_key",
)  # fmt: skip
#: A key (its last part) equal to one of these is secret.
EXACT = ("auth", "authorization", "proxy_authorization", "sig", "pwd", "pass", "session", "cookie", "set_cookie", "jwt")

#: Top-level fields that are the envelope's own and never carry user text.
_SKIP = frozenset({"@timestamp", "data_stream", "tags", "agent", "ecs", "input"})
_NOTHING: frozenset[str] = frozenset()

_KEY = r"[A-Za-z_][\w.\-\[\]]{0,63}"
_DQ = r'"(?:[^"\\\n]|\\.)*"'
_SQ = r"'(?:[^'\\\n]|\\.)*'"
_MASKED = re.escape(MASK)
# key=value (query strings, logfmt, DSNs): an unquoted value stops where a URL or a list goes on
_KV = re.compile(rf"(?<![\w.\-\[\]])(?P<key>{_KEY})=(?P<value>{_MASKED}|{_DQ}|{_SQ}|[^\s&\"',;<>()?=\]]+)")
# "key": "value" (JSON), 'key': 'value' (Python), 'key' => 'value' (PHP var_export)
_QUOTED = re.compile(rf"(?P<q>[\"'])(?P<key>{_KEY})(?P=q)\s*(?::|=>)\s*(?P<value>{_DQ}|{_SQ})")
# [key] => value (PHP print_r)
_ARROW = re.compile(rf"\[(?P<key>{_KEY})\]\s*=>\s*(?P<value>{_MASKED}|[^\s\])]+)")
# X-Api-Key: value, Api-Key: value (header dumps): only X-* and *-Key names, checked as keys
_HEADER = re.compile(r"(?i)(?<![\w-])(?P<key>x-[\w-]+|[\w-]*api[-_]?key)\s*:\s*(?P<value>[^\s\"',;]+)")
_AUTHORIZATION = re.compile(
    r"(?i)(?<![\w-])(?P<head>(?:proxy-)?authorization\s*:\s*(?:[a-z][\w-]*\s+(?=\S))?)(?P<value>[^\s\"',;]+)"
)
_COOKIE = re.compile(r"(?i)(?<![\w-])(?P<head>(?P<name>set-cookie|cookie)\s*:\s*)(?P<value>[^\r\n\"']+)")
_COOKIE_PAIR = re.compile(r"(?P<name>[^=;\s]+)=(?P<value>[^;]*)")
_BEARER = re.compile(r"(?i)\b(?P<head>bearer\s+)(?P<value>[A-Za-z0-9\-._~+/]{16,}=*)")
_USERINFO = re.compile(r"(?P<head>://[^/\s:@\"'<>]+:)(?P<value>[^/\s@\"'<>]+)(?=@)")
_NAME_PARTS = re.compile(r"[.\[\]]")
#: The cache of unchanged values: at most this many, each at most this long.
_CLEAN_ENTRIES, _CLEAN_LENGTH = 10_000, 256
#: Strings longer than this are searched for candidate words one word at a time (see the module note).
_LONG = 4096


def normalise_key(key: str) -> str:
    return key.lower().replace("-", "_")


def _candidate_terms(words: list[str]) -> list[str]:
    """The shortest words that still find every key: ``auth`` also finds ``authorization``."""
    words = sorted({normalise_key(word) for word in words if word}, key=len)
    kept: list[str] = []
    for word in words:
        if not any(short in word for short in kept):
            kept.append(word)
    return kept


class Scrubber:
    """Compiled once from ``scrub`` settings; ``scrubber(event)`` masks in place, tags, returns the event."""

    def __init__(self, settings: ScrubSettings) -> None:
        self.enabled = settings.enabled
        self._exact = frozenset(EXACT) | {normalise_key(key) for key in settings.keys}
        self._patterns = [re.compile(pattern) for pattern in settings.patterns]
        terms = _candidate_terms([*SUBSTRINGS, *self._exact, "bearer"])
        alternatives = "|".join(re.escape(term).replace("_", "[_-]") for term in terms)
        # searched in the lower-cased text: re's IGNORECASE is ~15x slower on an alternation of words
        self.candidate = re.compile(alternatives)
        self._terms = tuple(variant for term in terms for variant in _spellings(term))
        self._limited = False  # a rule hit MAX_MASKS in the event being scrubbed
        # "sig=x" is the shortest text a rule masks; a secret field's value is masked whatever its length
        self._shortest = 1 if self._patterns else 5
        globs = "|".join(fnmatch.translate(glob) for glob in settings.disable_datasets)
        self._disabled = re.compile(globs) if globs else None
        self._secret: dict[str, bool] = {}
        # Values under a plain key that came out unchanged: user agents, referrers, paths, host names
        # repeat from event to event, and a dict lookup costs less than lower() and the search.
        self._clean: dict[str, None] = {}

    def applies_to(self, dataset: str) -> bool:
        return self.enabled and (self._disabled is None or self._disabled.match(dataset) is None)

    def __call__(self, event: Event) -> Event:
        self._limited = False
        if self._walk(event, "", _SKIP, self._clean_message(event.get("message"))):
            add_tag(event, TAG)
            if self._limited:
                add_tag(event, TAG_LIMIT)
        return event

    def has_candidate(self, lowered: str) -> bool:
        """Whether a candidate word is in the lower-cased text."""
        if len(lowered) <= _LONG:
            return self.candidate.search(lowered) is not None
        return any(term in lowered for term in self._terms)

    def _clean_message(self, message: Any) -> str:
        """``message`` if no rule could match anywhere in it, else "". What a pipeline parses out of
        a message are pieces of it, and a piece of such a text is as clean: the candidate words and
        ``://``/``@`` are ASCII, and ``lower()`` maps each character on its own (only the Greek
        final sigma depends on its neighbours). User patterns run on every string: then "" too."""
        if self._patterns or type(message) is not str:
            return ""
        if self.has_candidate(message.lower()) or ("://" in message and "@" in message):
            return ""
        return message

    def record(self, raw: bytes) -> bytes:
        """The Kafka record masked the same way: the dead-letter index keeps it as text, so a refused
        document must not carry there what its scrubbed version lost. Only scrubbed events pay this."""
        try:
            original = orjson.loads(raw)
        except orjson.JSONDecodeError:
            original = None
        if not isinstance(original, dict):  # indexed as its text (_jsonparsefailure): masked as text
            return self.text(raw.decode("utf-8", errors="replace")).encode()
        return orjson.dumps(self(original))

    # -- decisions -------------------------------------------------------------------------------

    def is_secret(self, key: str) -> bool:
        known = self._secret.get(key)
        if known is None:
            name = normalise_key(key)
            last = next((part for part in reversed(_NAME_PARTS.split(name)) if part), name)
            known = last in self._exact or any(word in name for word in SUBSTRINGS)
            if len(self._secret) < 10_000:  # key names are few; a flood of odd ones must not grow this forever
                self._secret[key] = known
        return known

    def text(self, text: str) -> str:
        """``text`` with every credential masked (the same object when there was none)."""
        out = text
        sub = self._sub
        if "://" in out and "@" in out:
            out = sub(_USERINFO, _mask_value, out)
        if self.has_candidate(out.lower()):
            out = sub(_AUTHORIZATION, _mask_value, out)
            out = sub(_COOKIE, _mask_cookies, out)
            out = sub(_BEARER, _mask_value, out)
            for rule in (_QUOTED, _KV, _ARROW, _HEADER):
                out = sub(rule, self._mask_if_secret, out)
        for pattern in self._patterns:
            out = sub(pattern, _mask_pattern, out)
        return text if out == text else out

    def _sub(self, rule: re.Pattern[str], mask: Callable[[re.Match[str]], str], text: str) -> str:
        """``rule.sub(mask, text)`` for at most :data:`MAX_MASKS` matches; past them, the rest of the
        text is masked whole (and the event tagged ``_scrublimit``)."""
        last = [0, 0]  # matches, end of the last one

        def counted(match: re.Match[str]) -> str:
            last[0] += 1
            last[1] = match.end()
            return mask(match)

        out = rule.sub(counted, text, count=MAX_MASKS)
        if last[0] < MAX_MASKS or last[1] >= len(text):
            return out
        self._limited = True
        return out[: len(out) - (len(text) - last[1])] + MASK

    # -- walking the event (the hot path: type() checks, one call per container) ---------------

    def _string(self, key: str, value: str) -> str:
        secret = self._secret.get(key)
        if secret is None:
            secret = self.is_secret(key)
        if secret and value and value != MASK and not _working_directory(key, value):
            return MASK
        if len(value) < self._shortest:
            return value
        return self.text(value)

    def _walk(self, node: dict[str, Any] | list[Any], key: str, skip: frozenset[str], text: str) -> bool:
        """Mask the strings in ``node`` in place (list items count as ``key``'s); True if any changed.
        A string under a plain key that is part of ``text`` (a clean message) needs no look."""
        changed = False
        if isinstance(node, dict):
            secret_keys, shortest, candidate, clean = self._secret, self._shortest, self.candidate, self._clean
            has = self._has_in
            for name, value in node.items():
                kind = type(value)
                if kind is str:
                    if secret_keys.get(name) is False:  # a known plain key
                        if value in clean or value in text:
                            continue
                        if not self._patterns and (
                            len(value) < shortest
                            or (
                                (candidate.search(value.lower()) is None if len(value) <= _LONG else not has(value))
                                and ("://" not in value or "@" not in value)
                            )
                        ):  # nothing a rule could match
                            self._remember_clean(value)
                            continue
                    new = self._string(name, value)
                    if new is not value:
                        node[name] = new
                        changed = True
                    elif secret_keys.get(name) is False:
                        self._remember_clean(value)
                elif (kind is dict or kind is list) and name not in skip:
                    changed = self._walk(value, name, _NOTHING, text) or changed
        else:
            for index, value in enumerate(node):
                if isinstance(value, str):
                    new = self._string(key, value)
                    if new is not value:
                        node[index] = new
                        changed = True
                elif isinstance(value, dict | list):
                    changed = self._walk(value, key, _NOTHING, text) or changed
        return changed

    def _has_in(self, value: str) -> bool:
        return self.has_candidate(value.lower())

    def _remember_clean(self, value: str) -> None:
        if len(value) <= _CLEAN_LENGTH:  # long texts (messages) seldom repeat: not worth the memory
            if len(self._clean) >= _CLEAN_ENTRIES:  # bounded: unique values (ids, URLs) must not grow it
                self._clean.clear()
            self._clean[value] = None

    def _mask_if_secret(self, match: re.Match[str]) -> str:
        key, value = match["key"], match["value"]
        if not self.is_secret(key) or MASK in value:
            return match[0]
        if _working_directory(key, value):
            return match[0]
        start, end = match.span("value")
        base = match.start()
        quote = value[0] if value[0] in "\"'" and len(value) > 1 and value[-1] == value[0] else ""
        return match[0][: start - base] + f"{quote}{MASK}{quote}" + match[0][end - base :]


def _spellings(term: str) -> list[str]:
    """``api_key`` is also written ``api-key`` (the alternation's ``[_-]``)."""
    parts = term.split("_")
    spellings = [parts[0]]
    for part in parts[1:]:
        spellings = [f"{head}{sep}{part}" for head in spellings for sep in "_-"]
    return spellings


def _working_directory(key: str, value: str) -> bool:
    """sudo's ``PWD=/home/alice`` (and the parsed ``sudo.pwd``) is a directory, not a password."""
    return value.startswith("/") and key[-3:].lower() == "pwd"


def _mask_value(match: re.Match[str]) -> str:
    if match["value"] == MASK:
        return match[0]
    return match["head"] + MASK


def _mask_cookies(match: re.Match[str]) -> str:
    mask_pair: Callable[[re.Match[str]], str] = lambda pair: f"{pair['name']}={MASK}"  # noqa: E731
    value = match["value"]
    if match["name"].lower() == "set-cookie":  # the cookie, then its attributes (Path, Expires...)
        return match["head"] + _COOKIE_PAIR.sub(mask_pair, value, count=1)
    return match["head"] + _COOKIE_PAIR.sub(mask_pair, value)


def _mask_pattern(match: re.Match[str]) -> str:
    if match.re.groups == 0 or match.start(1) < 0:
        return MASK
    base = match.start()
    return match[0][: match.start(1) - base] + MASK + match[0][match.end(1) - base :]

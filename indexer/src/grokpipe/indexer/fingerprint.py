"""Error fingerprints: which events are the same error, with a readable title and a culprit.

Pure functions from what a pipeline extracted (:class:`ErrorFacts`) to a :class:`Fingerprint`.
The first kind that applies wins:

=============  =====================================================  ==============================
kind           key (32-hex blake2b of the parts)                      culprit
=============  =====================================================  ==============================
exception      type + innermost in-app frame's file and function       Python ``file in function``,
               (Python traceback / Java stack trace; not the line:    Java ``pkg.Class.method``
               a deploy that moves code keeps the group)
location       type + file + line (PHP: php-fpm, nginx FastCGI,        ``file:line``
               Apache; no message: nginx truncates it)
message        logger + the message's pattern key (its header cut,     the logger (else the dataset)
               values masked token by token: :mod:`grokpipe.patterns
               .tokens`), for error-level events without a file and
               line: a node, host, pid or request id never splits it
=============  =====================================================  ==============================

Culprits name the code the way the language's own traces do: PHP ``in FILE on line N``, Python
``File "x", line N, in f``, Java ``at pkg.Class.method(...)``. The title is ``type: message`` (or
the message alone) with the message's first line masked (:func:`indexer.masking.mask`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

import regex

from grokpipe.indexer import frames, masking
from grokpipe.indexer.frames import DEFAULT_LIBRARY_PREFIXES, Frame, culprit_frame, parse_frames
from grokpipe.indexer.masking import mask
from grokpipe.indexer.patterns.header import strip_header
from grokpipe.patterns.tokens import key_tokens, split

#: ``log.level`` values that make an event without a file and line an error (ECS, syslog, nginx,
#: Apache, Python, Java names).
DEFAULT_LEVELS = frozenset({"error", "err", "critical", "crit", "alert", "emergency", "emerg", "fatal", "severe"})
TITLE_MAX = 300

_JAVA_GENERATED = regex.compile(r"\$\$Lambda\$?\d*/0x[0-9a-fA-F]+|(?<=\$\$\w*CGLIB)\$\$\w+|(?<=lambda\$\w+?)\$\d+\b")


@dataclass(frozen=True, slots=True)
class ErrorFacts:
    """What one event says about an error; empty strings where it says nothing."""

    type: str = ""
    message: str = ""
    stack_trace: str = ""
    file: str = ""
    line: int | None = None
    level: str = ""
    logger: str = ""
    text: str = ""  # the plain message, for the message kind
    dataset: str = ""


@dataclass(frozen=True, slots=True)
class Grouping:
    """A step's options: which levels are errors, which frames are library code."""

    levels: frozenset[str] = DEFAULT_LEVELS
    library_prefixes: tuple[str, ...] = DEFAULT_LIBRARY_PREFIXES


@dataclass(frozen=True, slots=True)
class Fingerprint:
    key: str
    title: str
    culprit: str
    kind: str
    frame: Frame | None = None  # the frame that named an exception: log.origin.*
    bounded: bool = False  # the message's first line or the trace was longer than what is read of it


def digest(*parts: str) -> str:
    """32 hex digits; parts are joined with a separator no log text holds."""
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def title(error_type: str, message: str) -> str:
    first = mask(message.strip().split("\n", 1)[0]) if message.strip() else ""
    text = f"{error_type}: {first}" if error_type and first else error_type or first
    return text if len(text) <= TITLE_MAX else text[: TITLE_MAX - 1] + "…"


def location_fingerprint(error_type: str, message: str, file: str, line: int) -> Fingerprint:
    key = digest("location", error_type, file, str(line))
    return Fingerprint(key, title(error_type, message), f"{file}:{line}", "location")


def exception_fingerprint(error_type: str, message: str, frame: Frame) -> Fingerprint:
    function = _JAVA_GENERATED.sub("", frame.function) if frame.language == "java" else frame.function
    key = digest("exception", error_type, frame.file, function)
    return Fingerprint(key, title(error_type, message), frame.culprit, "exception", frame)


def message_fingerprint(logger: str, error_type: str, text: str, dataset: str = "") -> Fingerprint:
    first = text.strip().split("\n", 1)[0]
    body = strip_header(first).message.strip() or first
    key = digest("message", mask(logger), error_type, *key_tokens(split(body)))
    return Fingerprint(key, title(error_type, body), logger or dataset, "message")


def custom_key(values: Iterable[str]) -> str:
    """A ``fingerprint`` step's key from the values of its fields (and ``{{ default }}``)."""
    return digest("custom", *values)


def fingerprint(facts: ErrorFacts, grouping: Grouping = Grouping()) -> Fingerprint | None:
    """The event's group, or None when it is not an error. ``bounded`` when a bound of
    :mod:`.masking` or :mod:`.frames` left part of the message or trace unread."""
    found = _fingerprint(facts, grouping)
    if found is None:
        return None
    trace_cut = found.kind == "exception" and frames.cut(facts.stack_trace)
    if trace_cut or masking.cut(_first_line(facts.message or facts.text)):
        return dataclasses.replace(found, bounded=True)
    return found


def _first_line(text: str) -> str:
    return text.strip().split("\n", 1)[0]


def _fingerprint(facts: ErrorFacts, grouping: Grouping) -> Fingerprint | None:
    if facts.type and facts.stack_trace:
        frame = culprit_frame(parse_frames(facts.stack_trace), grouping.library_prefixes)
        if frame is not None:
            return exception_fingerprint(facts.type, facts.message, frame)
    if facts.type and facts.file and facts.line is not None:
        return location_fingerprint(facts.type, facts.message, facts.file, facts.line)
    text = facts.message or facts.text
    if facts.level.lower() in grouping.levels and (text.strip() or facts.type):
        return message_fingerprint(facts.logger, facts.type, text, facts.dataset)
    return None

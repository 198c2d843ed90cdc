"""Which Sentry events are the same error, reimplemented from Sentry's documentation of its grouping
("Event Grouping", docs.sentry.io) (pure).

The key hashes, in order, the project, the SDK's platform (two languages never share a group) and:

==================  ===========================================================================
the event has       it is grouped by
==================  ===========================================================================
a ``fingerprint``   its entries, ``{{ default }}`` standing for the key the rows below compute
an exception        for each exception of the chain: its type and, of its frames (the in-app
                    ones when the event marks any frame in-app, else all), the module (else the
                    file's base name, hashes and versions cut), the normalised function name and,
                    for Python, PHP, JavaScript, Node and Ruby, the source line when short;
                    never line numbers, so a deploy that moves code keeps its groups. An
                    exception without frames adds its message, masked
a log entry         the message template (``logentry.message``: ``payment %s declined``)
a message           the message, masked (numbers, ids, addresses: ``indexer.masking``)
==================  ===========================================================================

``error.culprit`` reads like Sentry's: ``app.views in checkout`` from the innermost in-app frame.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import regex

from grokpipe.indexer.masking import mask
from grokpipe.indexer.sentry.traceback import Exc, Frame, frames_of

CONTEXT_PLATFORMS = frozenset({"python", "php", "javascript", "node", "ruby"})
CONTEXT_MAX = 120
TITLE_MAX = 300
DEFAULT_VARIABLE = regex.compile(r"^\{\{\s*default\s*\}\}$")

_ADDRESS = regex.compile(r"0x[0-9a-fA-F]+")
_JAVA_GENERATED = regex.compile(r"\$\$Lambda\$?\d*(?:/0x[0-9a-fA-F]+)?|\$\$\w*CGLIB\$\$\w+|\$\d+\b")
_ANONYMOUS = regex.compile(r"^(?:async\s+)?|\s*\[as [^\]]+\]$")
_FILE_HASH = regex.compile(r"[.\-_](?:(?=[0-9a-f]*\d)[0-9a-f]{6,}|v?\d+(?:\.\d+)+)(?=[.\-_])")


@dataclass(frozen=True, slots=True)
class Group:
    key: str
    title: str
    culprit: str


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def normal_function(name: str) -> str:
    """``lambda$main$0`` -> ``lambda$main``, ``async fetchCart [as fetch]`` -> ``fetchCart``,
    ``<object at 0x7f..>`` -> ``<object at 0x>``."""
    name = _JAVA_GENERATED.sub("", name)
    name = _ANONYMOUS.sub("", name)
    return _ADDRESS.sub("0x", name).strip()


def normal_file(path: str) -> str:
    """The base name, without a query, a bundler's content hash or a version: ``app.3f2a9b1c.js`` -> ``app.js``."""
    base = posixpath.basename(path.split("?", 1)[0].split("#", 1)[0].replace("\\", "/"))
    return _FILE_HASH.sub("", base)


def in_app_frames(chain: Sequence[Exc]) -> dict[int, list[Frame]]:
    """Frames that count, per exception index: the in-app ones if any frame of the event is in-app."""
    frames = {i: frames_of(exc) for i, exc in enumerate(chain)}
    if any(f.get("in_app") is True for fs in frames.values() for f in fs):
        return {i: [f for f in fs if f.get("in_app") is True] for i, fs in frames.items()}
    return frames


def _frame_parts(frame: Frame, platform: str) -> list[str]:
    module = _text(frame.get("module"))
    parts = [
        f"module:{module}" if module else f"file:{normal_file(_text(frame.get('filename') or frame.get('abs_path')))}"
    ]
    function = normal_function(_text(frame.get("function")))
    if function and function not in {"?", "<anonymous>"}:
        parts.append(f"function:{function}")
    context = _text(frame.get("context_line")).strip()
    if platform in CONTEXT_PLATFORMS and context and len(context) <= CONTEXT_MAX:
        parts.append(f"context:{context}")
    return parts


def exception_chain(payload: dict[str, Any]) -> list[Exc]:
    exception = payload.get("exception")
    values = exception.get("values") if isinstance(exception, dict) else exception
    return [v for v in values if isinstance(v, dict)] if isinstance(values, list) else []


def default_parts(payload: dict[str, Any], platform: str) -> list[str]:
    chain = exception_chain(payload)
    if chain:
        parts: list[str] = []
        frames = in_app_frames(chain)
        for index, exc in enumerate(chain):
            parts.append(f"type:{_text(exc.get('type')) or 'Error'}")
            if frames[index]:
                for frame in frames[index]:
                    parts.extend(_frame_parts(frame, platform))
            else:
                parts.append(f"value:{mask(_text(exc.get('value')))}")
        return parts
    logentry = payload.get("logentry")
    if isinstance(logentry, dict) and _text(logentry.get("message")):
        return [f"template:{logentry['message']}"]
    return [f"message:{mask(message_of(payload))}"]


def message_of(payload: dict[str, Any]) -> str:
    logentry = payload.get("logentry")
    if isinstance(logentry, dict):
        text = _text(logentry.get("formatted")) or _text(logentry.get("message"))
        if text:
            return text
    message = payload.get("message")
    if isinstance(message, dict):  # the old interface: {"message": ..., "formatted": ...}
        return _text(message.get("formatted")) or _text(message.get("message"))
    return _text(message)


def _hash(parts: Sequence[str]) -> str:
    return hashlib.blake2b("\x1f".join(parts).encode(), digest_size=16).hexdigest()


def culprit(payload: dict[str, Any]) -> str:
    chain = exception_chain(payload)
    frames = in_app_frames(chain)
    for index in reversed(range(len(chain))):
        if frames[index]:
            frame = frames[index][-1]
            where = _text(frame.get("module")) or _text(frame.get("filename") or frame.get("abs_path"))
            function = _text(frame.get("function"))
            return f"{where} in {function}" if function else where
    return _text(payload.get("transaction")) or _text(payload.get("culprit")) or _text(payload.get("logger"))


def title(payload: dict[str, Any]) -> str:
    chain = exception_chain(payload)
    if chain:
        last = chain[-1]
        kind, value = _text(last.get("type")) or "Error", _text(last.get("value")).strip()
        text = f"{kind}: {value.splitlines()[0]}" if value else kind
    else:
        lines = message_of(payload).strip().splitlines()
        text = lines[0] if lines else "<no message>"
    return text[:TITLE_MAX]


def group(payload: dict[str, Any], *, project: str) -> Group:
    platform = _text(payload.get("platform")) or "other"
    default = _hash(["sentry", project, platform, *default_parts(payload, platform)])
    fingerprint = payload.get("fingerprint")
    key = default
    if isinstance(fingerprint, list) and fingerprint and all(isinstance(f, str | int | float) for f in fingerprint):
        entries = [default if DEFAULT_VARIABLE.match(str(f)) else f"custom:{f}" for f in fingerprint]
        if entries != [default]:
            key = _hash(["sentry", project, "fingerprint", *entries])
    return Group(key, title(payload), culprit(payload))

"""The per-event pattern key: ``log.pattern.key`` and ``log.pattern.template`` on every indexed event.

Deterministic per event, with no shared state: every indexer replica and every parse worker computes
the same key for the same message (the offline scan learns a header per file; a stream cannot, so
an event without a pipeline has its header cut by :func:`strip_header`, which looks at the line
alone). The fields are :data:`grokpipe.fieldnames.LOG_PATTERN_KEY` and
:data:`~grokpipe.fieldnames.LOG_PATTERN_TEMPLATE`.

The key is a 12-hex hash of the masked token sequence with one placeholder per value
(:func:`grokpipe.patterns.tokens.key_tokens`); the template keeps the literal parts of masked tokens
(``blk_<*>``). The work per event is bounded by :data:`grokpipe.patterns.tokens.MAX_CHARS` and
:data:`~grokpipe.patterns.tokens.MAX_TOKENS`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from grokpipe.fieldnames import ERROR_CULPRIT, ERROR_GROUPING_KEY, ERROR_TITLE
from grokpipe.indexer.dates import format_utc
from grokpipe.indexer.fields import Event, get, put
from grokpipe.indexer.fingerprint import DEFAULT_LEVELS, message_fingerprint
from grokpipe.indexer.patterns.header import strip_header
from grokpipe.indexer.patterns.headertime import header_time
from grokpipe.patterns.tokens import MAX_CHARS, describe


class PatternKeys:
    """Sets the pattern fields of an event (and ``log.level`` from a cut header when it had none).

    The message is ``log.message`` where a pipeline set one, else ``message``.
    """

    def __call__(self, event: Event, *, parsed: bool, untimed: bool = False) -> None:
        """``parsed``: a pipeline ran on the event (its message holds no header to cut); ``untimed``: it
        came without ``@timestamp`` (the time its header starts with, if any, becomes it)."""
        log = event.get("log")
        if type(log) is dict:
            text = log.get("message")
            if type(text) is not str:
                text = event.get("message")
        else:
            log = None
            text = event.get("message")
        if type(text) is not str:
            return
        if not parsed:
            text = self._generic(event, text, untimed)
            log = event.get("log")
        if "\n" in text:
            text = text[: text.index("\n")]
        key, template = describe(text)
        if log is None:
            event["log"] = {"pattern": {"key": key, "template": template}}
        else:
            log["pattern"] = {"key": key, "template": template}

    @staticmethod
    def _generic(event: Event, text: str, untimed: bool) -> str:
        """The message of an event no pipeline parsed: its header cut, what the header named set where
        the event has none (``log.level``, ``log.logger``, ``process.pid``, ``host.name``, and
        ``@timestamp`` for one that came without it), and an error group for an error-level one."""
        cut = strip_header(text[: MAX_CHARS * 2])
        if untimed:
            moment = header_time(cut.header, datetime.now(UTC))
            if moment is not None:
                event["@timestamp"] = format_utc(moment)
        for path, value in (
            ("log.level", cut.level),
            ("log.logger", cut.logger),
            ("process.pid", cut.pid),
            ("host.name", cut.host),
        ):
            if value is not None and get(event, path) is None:
                put(event, path, value)
        level = get(event, "log.level")
        if isinstance(level, str) and level.lower() in DEFAULT_LEVELS and get(event, ERROR_GROUPING_KEY) is None:
            found = message_fingerprint("", "", cut.message, str(get(event, "event.dataset") or ""))
            put(event, ERROR_GROUPING_KEY, found.key)
            put(event, ERROR_TITLE, found.title)
            put(event, ERROR_CULPRIT, found.culprit)
        return cut.message

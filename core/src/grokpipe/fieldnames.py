"""Names of the event fields that more than one service reads or writes: the indexer sets them, the api groups,
counts and shows by them. Declared once here so the two sides cannot drift (the index template maps them too)."""

from __future__ import annotations

from typing import Final

#: The error group an event belongs to (a hash the indexer computes; the api's groups are keyed by it).
ERROR_GROUPING_KEY: Final = "error.grouping_key"
#: What a person reads as the group's name, and where in the code it comes from.
ERROR_TITLE: Final = "error.title"
ERROR_CULPRIT: Final = "error.culprit"
ERROR_TYPE: Final = "error.type"
ERROR_MESSAGE: Final = "error.message"
ERROR_STACK_TRACE: Final = "error.stack_trace"

#: The pattern (template) an event's message belongs to, and its readable template.
LOG_PATTERN_KEY: Final = "log.pattern.key"
LOG_PATTERN_TEMPLATE: Final = "log.pattern.template"

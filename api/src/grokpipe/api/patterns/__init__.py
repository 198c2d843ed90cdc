"""Patterns read from the events: ``GET /patterns`` and ``GET /patterns/{key}``.

A first, read-only step of the pattern store of issue 27: patterns are the indexer's
``log.pattern.key`` values counted in a window by a ``terms`` aggregation over the logs index, so
an id is the key itself (a deterministic hash: the same in every replica, never reassigned). Keys
are not merged yet (no store, no aliases); the number of patterns a request reads is capped by its
``limit`` (at most :data:`~grokpipe.api.patterns.service.MAX_LIMIT`), so a flood of distinct keys
costs one bounded aggregation, not memory in the api.
"""

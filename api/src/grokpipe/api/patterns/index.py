"""What the sync keeps in memory to place a key in a pattern, bounded whatever the keys.

- ``owners``: key -> pattern id, an LRU of at most ``max_keys`` entries (a key it forgot is looked up in
  the store again, by the ``keys`` of the stored patterns);
- ``candidates``: per template length, the ``candidates`` most recently used patterns with their
  templates; a new key is compared (:func:`grokpipe.api.patterns.compare.merge`) with those only, so the
  work per new key is bounded;
- ``ids``: every pattern id, so the sync knows when the store holds ``patterns.max_patterns``.

A flood of distinct keys (a random word in every line) is thus bounded three ways: keys that differ in one
word merge into one pattern; the comparison is capped; and past ``max_patterns`` a key that matches no
pattern is counted in the overflow pattern instead of making one.
"""

from __future__ import annotations

from collections import OrderedDict

from grokpipe.api.patterns.compare import merge, words


class PatternIndex:
    def __init__(self, *, candidates: int, max_keys: int = 100_000) -> None:
        self.max_candidates = candidates
        self.max_keys = max_keys
        self.owners: OrderedDict[str, str] = OrderedDict()
        self.candidates: dict[int, OrderedDict[str, str]] = {}
        self.ids: set[str] = set()

    def owner(self, key: str) -> str | None:
        pid = self.owners.get(key)
        if pid is not None:
            self.owners.move_to_end(key)
        return pid

    def remember(self, key: str, pattern_id: str) -> None:
        self.owners[key] = pattern_id
        self.owners.move_to_end(key)
        while len(self.owners) > self.max_keys:
            self.owners.popitem(last=False)

    def put(self, pattern_id: str, template: str) -> None:
        """A pattern (new, or its template generalised), now the most recently used of its length."""
        self.ids.add(pattern_id)
        same = self.candidates.setdefault(len(words(template)), OrderedDict())
        same[pattern_id] = template
        same.move_to_end(pattern_id)
        while len(same) > self.max_candidates:
            same.popitem(last=False)

    def match(self, template: str) -> tuple[str, str] | None:
        """The most recently used pattern ``template`` joins, and the template they make together."""
        same = self.candidates.get(len(words(template)))
        if not same:
            return None
        for pattern_id in reversed(same):
            merged = merge(same[pattern_id], template)
            if merged is not None:
                return pattern_id, merged
        return None
